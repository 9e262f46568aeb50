/**
 * Decodes the Kubernetes protobuf request bodies that client-go typed
 * clients send (helm's release Secrets, `kubectl create secret|configmap|ns`):
 * the `k8s\0` envelope with a `runtime.Unknown`, then Secret, ConfigMap,
 * Namespace or ServiceAccount. Replies are always JSON.
 *
 * @module
 */

import {
  type KubeObject,
  type ObjectMeta,
  type OwnerReference,
  type Rec,
  StatusError,
  toBase64,
} from "./object.ts";

/** The protobuf content type. */
export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

interface Field {
  no: number;
  wire: number;
  int: number;
  bytes: Uint8Array;
}

function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw bad("truncated varint");
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw bad("varint too long");
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    const empty = new Uint8Array(0);
    switch (wire) {
      case 0:
        out.push({ no, wire, int: varint(), bytes: empty });
        break;
      case 1:
        pos += 8;
        out.push({ no, wire, int: 0, bytes: empty });
        break;
      case 2: {
        const len = varint();
        if (pos + len > buf.length) throw bad("truncated field");
        out.push({ no, wire, int: 0, bytes: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        out.push({ no, wire, int: 0, bytes: empty });
        break;
      default:
        throw bad(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

function bad(detail: string): StatusError {
  return new StatusError(
    400,
    "BadRequest",
    `the body of the request could not be decoded as protobuf: ${detail}`,
  );
}

const dec = new TextDecoder();

function text(f: Field): string {
  return dec.decode(f.bytes);
}

function mapEntry(f: Field): [string, Uint8Array] {
  let key = "";
  let value: Uint8Array = new Uint8Array(0);
  for (const e of readFields(f.bytes)) {
    if (e.no === 1) key = text(e);
    if (e.no === 2) value = e.bytes;
  }
  return [key, value];
}

function time(f: Field): string | undefined {
  let seconds = 0;
  for (const t of readFields(f.bytes)) if (t.no === 1) seconds = t.int;
  return seconds > 0 ? new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z") : undefined;
}

function ownerReference(buf: Uint8Array): OwnerReference {
  const ref: OwnerReference = { apiVersion: "", kind: "", name: "", uid: "" };
  for (const f of readFields(buf)) {
    if (f.no === 1) ref.kind = text(f);
    else if (f.no === 3) ref.name = text(f);
    else if (f.no === 4) ref.uid = text(f);
    else if (f.no === 5) ref.apiVersion = text(f);
    else if (f.no === 6) ref.controller = f.int !== 0;
    else if (f.no === 7) ref.blockOwnerDeletion = f.int !== 0;
  }
  return ref;
}

function objectMeta(buf: Uint8Array): ObjectMeta {
  const meta: ObjectMeta = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const owners: OwnerReference[] = [];
  const finalizers: string[] = [];
  for (const f of readFields(buf)) {
    switch (f.no) {
      case 1:
        if (f.bytes.length) meta.name = text(f);
        break;
      case 2:
        if (f.bytes.length) meta.generateName = text(f);
        break;
      case 3:
        if (f.bytes.length) meta.namespace = text(f);
        break;
      case 5:
        if (f.bytes.length) meta.uid = text(f);
        break;
      case 6:
        if (f.bytes.length) meta.resourceVersion = text(f);
        break;
      case 7:
        if (f.int) meta.generation = f.int;
        break;
      case 11: {
        const [k, v] = mapEntry(f);
        labels[k] = dec.decode(v);
        break;
      }
      case 12: {
        const [k, v] = mapEntry(f);
        annotations[k] = dec.decode(v);
        break;
      }
      case 13:
        owners.push(ownerReference(f.bytes));
        break;
      case 14:
        finalizers.push(text(f));
        break;
      case 8: {
        const t = time(f);
        if (t) meta.creationTimestamp = t;
        break;
      }
    }
  }
  if (Object.keys(labels).length) meta.labels = labels;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  if (owners.length) meta.ownerReferences = owners;
  if (finalizers.length) meta.finalizers = finalizers;
  return meta;
}

function decodeSecret(fields: Field[], obj: KubeObject): void {
  const data: Rec = {};
  const stringData: Rec = {};
  for (const f of fields) {
    if (f.no === 2) {
      const [k, v] = mapEntry(f);
      data[k] = toBase64(v);
    } else if (f.no === 3 && f.bytes.length) obj.type = text(f);
    else if (f.no === 4) {
      const [k, v] = mapEntry(f);
      stringData[k] = dec.decode(v);
    } else if (f.no === 5) obj.immutable = f.int !== 0;
  }
  if (Object.keys(data).length) obj.data = data;
  if (Object.keys(stringData).length) obj.stringData = stringData;
}

function decodeConfigMap(fields: Field[], obj: KubeObject): void {
  const data: Rec = {};
  const binaryData: Rec = {};
  for (const f of fields) {
    if (f.no === 2) {
      const [k, v] = mapEntry(f);
      data[k] = dec.decode(v);
    } else if (f.no === 3) {
      const [k, v] = mapEntry(f);
      binaryData[k] = toBase64(v);
    } else if (f.no === 4) obj.immutable = f.int !== 0;
  }
  if (Object.keys(data).length) obj.data = data;
  if (Object.keys(binaryData).length) obj.binaryData = binaryData;
}

function decodeNamespace(fields: Field[], obj: KubeObject): void {
  for (const f of fields) {
    if (f.no === 2) {
      const finalizers = readFields(f.bytes).filter((s) => s.no === 1).map(text);
      if (finalizers.length) obj.spec = { finalizers };
    }
  }
}

function decodeServiceAccount(fields: Field[], obj: KubeObject): void {
  for (const f of fields) {
    if (f.no === 4) obj.automountServiceAccountToken = f.int !== 0;
  }
}

const DECODERS: Record<string, (fields: Field[], obj: KubeObject) => void> = {
  "v1/Secret": decodeSecret,
  "v1/ConfigMap": decodeConfigMap,
  "v1/Namespace": decodeNamespace,
  "v1/ServiceAccount": decodeServiceAccount,
};

/** True when the bytes start with the protobuf envelope magic. */
export function isProtobuf(body: Uint8Array): boolean {
  return body.length >= 4 && MAGIC.every((b, i) => body[i] === b);
}

/**
 * Decodes an enveloped protobuf object. Throws a 415 `StatusError` for kinds
 * the simulator cannot decode (client-go has no JSON fallback, so say which).
 */
export function decodeProtobuf(body: Uint8Array): KubeObject {
  if (!isProtobuf(body)) throw bad("missing k8s envelope");
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array = new Uint8Array(0);
  for (const f of readFields(body.subarray(4))) {
    if (f.no === 1) {
      for (const t of readFields(f.bytes)) {
        if (t.no === 1) apiVersion = text(t);
        if (t.no === 2) kind = text(t);
      }
    } else if (f.no === 2) raw = f.bytes;
  }
  const decoder = DECODERS[`${apiVersion}/${kind}`];
  if (!decoder) {
    throw new StatusError(
      415,
      "UnsupportedMediaType",
      `the simulator cannot decode protobuf for ${apiVersion}/${kind}; send JSON`,
    );
  }
  const fields = readFields(raw);
  const metaField = fields.find((f) => f.no === 1);
  const obj: KubeObject = {
    apiVersion,
    kind,
    metadata: metaField ? objectMeta(metaField.bytes) : {},
  };
  decoder(fields, obj);
  return obj;
}

// ---------------------------------------------------------------------------
// Encoding, for tests that play client-go.

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function lenField(no: number, bytes: Uint8Array): number[] {
  return [...varintBytes(no * 8 + 2), ...varintBytes(bytes.length), ...bytes];
}

const enc = new TextEncoder();

function mapField(no: number, key: string, value: Uint8Array): number[] {
  return lenField(no, new Uint8Array([...lenField(1, enc.encode(key)), ...lenField(2, value)]));
}

/** Encodes a Secret (name, namespace, labels, data bytes, type) the way client-go does. */
export function encodeSecretProtobuf(secret: {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  data?: Record<string, Uint8Array>;
  type?: string;
}): Uint8Array {
  const meta: number[] = [
    ...lenField(1, enc.encode(secret.name)),
    ...lenField(2, new Uint8Array(0)),
    ...lenField(3, enc.encode(secret.namespace ?? "")),
    ...varintBytes(7 * 8),
    0,
  ];
  for (const [k, v] of Object.entries(secret.labels ?? {})) {
    meta.push(...mapField(11, k, enc.encode(v)));
  }
  const body: number[] = [...lenField(1, new Uint8Array(meta))];
  for (const [k, v] of Object.entries(secret.data ?? {})) body.push(...mapField(2, k, v));
  body.push(...lenField(3, enc.encode(secret.type ?? "Opaque")));
  const typeMeta = [...lenField(1, enc.encode("v1")), ...lenField(2, enc.encode("Secret"))];
  const unknown = [
    ...lenField(1, new Uint8Array(typeMeta)),
    ...lenField(2, new Uint8Array(body)),
    ...lenField(3, new Uint8Array(0)),
    ...lenField(4, new Uint8Array(0)),
  ];
  return new Uint8Array([...MAGIC, ...unknown]);
}
