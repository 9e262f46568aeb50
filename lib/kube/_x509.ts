/**
 * Just enough DER reading to tell an X.509 certificate's version: Deno's TLS
 * refuses to present a v1 client certificate, so the kubeconfig loader must
 * spot one before the client is used.
 *
 * @module
 */

interface Tlv {
  tag: number;
  /** where the content starts */
  start: number;
  /** where the content ends (exclusive) */
  end: number;
}

function readTlv(der: Uint8Array, at: number): Tlv | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > der.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  const end = start + length;
  return end > der.length ? undefined : { tag, start, end };
}

/** The DER bytes of the first `CERTIFICATE` block of a PEM text. */
export function firstPemCertificate(pem: string): Uint8Array | undefined {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return undefined;
  try {
    return Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The X.509 version (1, 2 or 3) of the first certificate in `pem`, or
 * undefined when it cannot be parsed. A TBSCertificate without the `[0]`
 * explicit version tag is v1.
 */
export function certificateVersion(pem: string): number | undefined {
  const der = firstPemCertificate(pem);
  if (!der) return undefined;
  const cert = readTlv(der, 0);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = readTlv(der, cert.start);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const first = readTlv(der, tbs.start);
  if (!first) return undefined;
  if (first.tag !== 0xa0) return first.tag === 0x02 ? 1 : undefined;
  const version = readTlv(der, first.start);
  if (!version || version.tag !== 0x02 || version.end - version.start !== 1) return undefined;
  return der[version.start] + 1;
}
