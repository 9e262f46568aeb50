/**
 * Object shapes and small helpers shared by the simulator's modules.
 *
 * @module
 */

/** Any JSON-ish record. */
export type Rec = Record<string, unknown>;

/** An owner reference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: Rec;
  subresource?: string;
}

/** Object metadata. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** A Kubernetes object as stored by the simulator. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** An API error that becomes a `Status` response. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Rec | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: Rec,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "StatusError";
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  /** The `Status` object sent to the client. */
  toStatus(): Rec {
    return statusObject(this.code, this.reason, this.message, this.details);
  }
}

/** Builds a failure `Status` object. */
export function statusObject(code: number, reason: string, message: string, details?: Rec): Rec {
  const status: Rec = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

/** Returns `value` as a record, or an empty one. */
export function rec(value: unknown): Rec {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value as Rec : {};
}

/** True for plain objects (not arrays, not null). */
export function isRec(value: unknown): value is Rec {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Returns `value` as an array, or an empty one. */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Returns `value` if it is a string, else `fallback`. */
export function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** Returns `value` if it is a finite number, else `fallback`. */
export function num(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** A deep copy through JSON (objects are JSON by construction). */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Structural equality of JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ak = Object.keys(a as Rec).filter((k) => (a as Rec)[k] !== undefined);
  const bk = Object.keys(b as Rec).filter((k) => (b as Rec)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => deepEqual((a as Rec)[k], (b as Rec)[k]));
}

/** The current time as Kubernetes writes it (seconds precision). */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** Splits an apiVersion into group and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Joins a group and version into an apiVersion. */
export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** A random name suffix like the API server's `generateName`. */
export function randomSuffix(random: () => number, length = 5): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out += SUFFIX_ALPHABET[Math.floor(random() * SUFFIX_ALPHABET.length)];
  }
  return out;
}

/** A small seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short stable hash of a JSON value in the name-safe alphabet, for names like pod-template-hash. */
export function shortHash(value: unknown, length = 10): string {
  const text = JSON.stringify(value) ?? "";
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x85ebca6b) >>> 0;
  }
  let out = "";
  for (let i = 0; i < length; i++) {
    const n = (i % 2 === 0 ? h1 : h2) >>> 0;
    out += SUFFIX_ALPHABET[n % SUFFIX_ALPHABET.length];
    if (i % 2 === 0) h1 = Math.floor(h1 / SUFFIX_ALPHABET.length) ^ Math.imul(h2, 31);
    else h2 = Math.floor(h2 / SUFFIX_ALPHABET.length) ^ Math.imul(h1, 17);
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] + "=" : "==";
  }
  return out;
}

/** Decodes standard base64 into bytes. */
export function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 of a string's UTF-8 bytes. */
export function utf8Base64(text: string): string {
  return toBase64(new TextEncoder().encode(text));
}
