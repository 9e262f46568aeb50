/**
 * A throwaway CA and server certificate (ECDSA P-256) for 127.0.0.1 and
 * localhost, made with WebCrypto and a small DER writer: no openssl, no
 * dependency, a few milliseconds.
 *
 * @module
 */

import { concat } from "./bytes.ts";
import { toBase64 } from "./object.ts";

/** PEM strings for a TLS server and its CA. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A client certificate (v3, clientAuth) and key signed by the same CA. */
  client?: { certPem: string; keyPem: string };
  /** The CA's key, to sign more certificates (see {@link makeClientCert}). */
  caKey?: CryptoKey;
}

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: Uint8Array | number[]): Uint8Array {
  const body = content instanceof Uint8Array ? [...content] : content;
  return new Uint8Array([tag, ...len(body.length), ...body]);
}

const cat = (...parts: Uint8Array[]): Uint8Array => concat(parts);

const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(...parts));
const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, cat(...parts));
const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 + n, inner);
const octets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
const bool = (value: boolean): Uint8Array => tlv(0x01, [value ? 0xff : 0]);
const utf8 = (text: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(text));

function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = [...bytes.subarray(i)];
  if (trimmed[0] & 0x80) trimmed.unshift(0);
  return tlv(0x02, trimmed);
}

function oid(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  const out = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, out);
}

function bitString(bytes: Uint8Array, unused = 0): Uint8Array {
  return tlv(0x03, [unused, ...bytes]);
}

function utcTime(date: Date): Uint8Array {
  const p = (n: number): string => String(n).padStart(2, "0");
  const text =
    `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(text));
}

function name(commonName: string): Uint8Array {
  return seq(
    set(seq(oid("2.5.4.10"), utf8("meshup simulator"))),
    set(seq(oid("2.5.4.3"), utf8(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function pem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function sign(key: CryptoKey, tbs: Uint8Array): Promise<Uint8Array> {
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, tbs as BufferSource),
  );
  const r = raw.subarray(0, 32);
  const s = raw.subarray(32);
  return seq(integer(r), integer(s));
}

type CertRole = "ca" | "server" | "client";

async function certificate(options: {
  subject: string;
  issuer: string;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  role: CertRole;
  /** X.509 v1: no version field, no extensions (test-only, Deno rejects it as a client cert). */
  v1?: boolean;
}): Promise<Uint8Array> {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", options.publicKey));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const now = Date.now();
  const extensions = options.role === "ca"
    ? [
      extension("2.5.29.19", true, seq(bool(true))),
      extension("2.5.29.15", true, bitString(new Uint8Array([0x86]), 1)),
    ]
    : options.role === "client"
    ? [
      extension("2.5.29.19", true, seq()),
      extension("2.5.29.15", true, bitString(new Uint8Array([0x80]), 7)),
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.2"))),
    ]
    : [
      extension("2.5.29.19", true, seq()),
      extension("2.5.29.15", true, bitString(new Uint8Array([0x80]), 7)),
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
      extension(
        "2.5.29.17",
        false,
        seq(tlv(0x82, new TextEncoder().encode("localhost")), tlv(0x87, [127, 0, 0, 1])),
      ),
    ];
  const body = [
    integer(serial),
    ECDSA_SHA256,
    name(options.issuer),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 365 * 86400_000))),
    name(options.subject),
    spki,
  ];
  const tbs = options.v1
    ? seq(...body)
    : seq(explicit(0, integer(new Uint8Array([2]))), ...body, explicit(3, seq(...extensions)));
  return seq(tbs, ECDSA_SHA256, bitString(await sign(options.signingKey, tbs)));
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const CA_NAME = "meshup-sim-ca";

/** Options of {@link makeTlsMaterial}. */
export interface TlsMaterialOptions {
  /** Also make a client certificate (v3) signed by the CA. */
  clientCert?: boolean;
}

/**
 * Makes a client certificate and key signed by `caKey` (the CA of
 * {@link makeTlsMaterial}); `v1` makes an X.509 v1 certificate, which Deno's
 * TLS refuses to present (test-only).
 */
export async function makeClientCert(
  caKey: CryptoKey,
  options: { commonName?: string; v1?: boolean } = {},
): Promise<{ certPem: string; keyPem: string }> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const der = await certificate({
    subject: options.commonName ?? "sim-admin",
    issuer: CA_NAME,
    publicKey: pair.publicKey,
    signingKey: caKey,
    role: "client",
    v1: options.v1,
  });
  const key = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { certPem: pem("CERTIFICATE", der), keyPem: pem("PRIVATE KEY", key) };
}

/** Makes a CA and a server certificate for 127.0.0.1/localhost signed by it. */
export async function makeTlsMaterial(options: TlsMaterialOptions = {}): Promise<TlsMaterial> {
  const ca = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const server = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const caDer = await certificate({
    subject: CA_NAME,
    issuer: CA_NAME,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    role: "ca",
  });
  const serverDer = await certificate({
    subject: "127.0.0.1",
    issuer: CA_NAME,
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    role: "server",
  });
  const key = new Uint8Array(await crypto.subtle.exportKey("pkcs8", server.privateKey));
  return {
    caPem: pem("CERTIFICATE", caDer),
    certPem: pem("CERTIFICATE", serverDer),
    keyPem: pem("PRIVATE KEY", key),
    client: options.clientCert ? await makeClientCert(ca.privateKey) : undefined,
    caKey: ca.privateKey,
  };
}
