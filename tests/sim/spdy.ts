/**
 * SPDY/3.1 framing, as far as a port-forward needs it on the server side:
 * kubectl 1.35 tunnels SPDY inside a WebSocket (subprotocol
 * `SPDY/3.1+portforward.k8s.io`) and creates, per local connection, an
 * error stream and a data stream with SYN_STREAM frames whose header
 * blocks are zlib-compressed against SPDY/3's preset dictionary, one zlib
 * stream per direction for the whole session.
 *
 * Frames (SPDY/3.1 §2.2): a control frame is `1 | version(15) | type(16)`,
 * `flags(8) | length(24)`, payload; a data frame is `0 | stream id(31)`,
 * `flags(8) | length(24)`, data. A header block is a 32-bit pair count, then
 * per pair a 32-bit length and the name, a 32-bit length and the value.
 *
 * @module
 */

import zlib from "node:zlib";
import { concat } from "./bytes.ts";

export { concat };

export const SPDY_VERSION = 3;

/** Control frame types used here. */
export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;

export const FLAG_FIN = 0x01;

/** The names SPDY/3 §2.6.10.1 lists first in its dictionary, each after its 32-bit length. */
const DICTIONARY_WORDS = [
  "options",
  "head",
  "post",
  "put",
  "delete",
  "trace",
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "age",
  "allow",
  "authorization",
  "cache-control",
  "connection",
  "content-base",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-md5",
  "content-range",
  "content-type",
  "date",
  "etag",
  "expect",
  "expires",
  "from",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "pragma",
  "proxy-authenticate",
  "proxy-authorization",
  "range",
  "referer",
  "retry-after",
  "server",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "vary",
  "via",
  "warning",
  "www-authenticate",
  "method",
  "get",
  "status",
  "200 OK",
  "version",
  "HTTP/1.1",
  "url",
  "public",
  "set-cookie",
  "keep-alive",
  "origin",
];

/** The dictionary's tail: status codes, reason phrases, dates and common values, unprefixed. */
const DICTIONARY_TAIL = "100101201202205206300302303304305306307402405406407408409410411412413414" +
  "415416417502504505203 Non-Authoritative Information204 No Content301 Moved Permanently" +
  "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error" +
  "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov " +
  "Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png," +
  "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript," +
  "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

/** SPDY/3's zlib preset dictionary for header blocks (1423 bytes). */
export const HEADER_DICTIONARY: Uint8Array = (() => {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const word of DICTIONARY_WORDS) {
    const bytes = enc.encode(word);
    parts.push(u32(bytes.length), bytes);
  }
  parts.push(enc.encode(DICTIONARY_TAIL));
  return concat(parts);
})();

/** Adler-32 (RFC 1950), the checksum a zlib stream names its dictionary by. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export type Frame =
  | { control: true; type: number; flags: number; payload: Uint8Array }
  | { control: false; streamId: number; flags: number; data: Uint8Array };

/** Splits a byte stream into frames, keeping a partial frame for the next bytes. */
export class FrameReader {
  #buf: Uint8Array = new Uint8Array(0);

  push(bytes: Uint8Array): Frame[] {
    this.#buf = concat([this.#buf, bytes]);
    const frames: Frame[] = [];
    while (this.#buf.length >= 8) {
      const b = this.#buf;
      const length = (b[5] << 16) | (b[6] << 8) | b[7];
      if (b.length < 8 + length) break;
      const body = b.slice(8, 8 + length);
      frames.push(
        b[0] & 0x80
          ? { control: true, type: (b[2] << 8) | b[3], flags: b[4], payload: body }
          : { control: false, streamId: readU32(b, 0) & 0x7fffffff, flags: b[4], data: body },
      );
      this.#buf = b.slice(8 + length);
    }
    return frames;
  }
}

/**
 * Reads the peer's header blocks: one zlib stream with the dictionary for
 * the whole session, each block ending on a sync flush. Every block is
 * inflated with all the compressed bytes before it, and its own text is
 * what the stream yields beyond theirs.
 */
export class HeaderInflater {
  #compressed: Uint8Array = new Uint8Array(0);
  #seen = 0;

  inflate(block: Uint8Array): Map<string, string> {
    this.#compressed = concat([this.#compressed, block]);
    const all = new Uint8Array(
      zlib.inflateSync(this.#compressed, {
        dictionary: HEADER_DICTIONARY,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      }),
    );
    const text = all.subarray(this.#seen);
    this.#seen = all.length;
    return parseHeaderBlock(text);
  }
}

/**
 * Writes this side's header blocks as one zlib stream (naming the
 * dictionary, as a SPDY peer's does) of stored blocks: valid deflate that
 * needs no compressor, each header block ending with a sync flush's empty
 * stored block.
 */
export class HeaderDeflater {
  #started = false;

  deflate(headers: Record<string, string>): Uint8Array {
    const raw = headerBlock(headers);
    const parts: Uint8Array[] = [];
    if (!this.#started) {
      this.#started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0x20 (FDICT; 0x7820 % 31 == 0), DICTID
      parts.push(new Uint8Array([0x78, 0x20]), u32(adler32(HEADER_DICTIONARY)));
    }
    for (let i = 0; i === 0 || i < raw.length; i += 0xffff) {
      const chunk = raw.subarray(i, i + 0xffff);
      // a non-final stored block: BFINAL 0, BTYPE 00, then LEN and NLEN little-endian
      const len = chunk.length;
      parts.push(new Uint8Array([0, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff]), chunk);
    }
    // and an empty one, the mark of a sync flush: a reader hands out what it
    // holds when it meets that mark, not at the end of the block before it
    parts.push(new Uint8Array([0, 0, 0, 0xff, 0xff]));
    return concat(parts);
  }
}

/** Encodes a header block (names lower-case, as SPDY requires). */
export function headerBlock(headers: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(headers);
  const parts: Uint8Array[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = enc.encode(name.toLowerCase());
    const v = enc.encode(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return concat(parts);
}

/** Decodes a header block; a name sent twice keeps its last value. */
export function parseHeaderBlock(block: Uint8Array): Map<string, string> {
  const dec = new TextDecoder();
  const headers = new Map<string, string>();
  const count = readU32(block, 0);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const nameLength = readU32(block, at);
    const name = dec.decode(block.subarray(at + 4, at + 4 + nameLength));
    at += 4 + nameLength;
    const valueLength = readU32(block, at);
    headers.set(name, dec.decode(block.subarray(at + 4, at + 4 + valueLength)));
    at += 4 + valueLength;
  }
  return headers;
}

/** A control frame with its payload. */
export function controlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  head[0] = 0x80 | (SPDY_VERSION >> 8);
  head[1] = SPDY_VERSION & 0xff;
  head[2] = type >> 8;
  head[3] = type & 0xff;
  head[4] = flags;
  head[5] = (payload.length >> 16) & 0xff;
  head[6] = (payload.length >> 8) & 0xff;
  head[7] = payload.length & 0xff;
  return concat([head, payload]);
}

/** A data frame on a stream. */
export function dataFrame(streamId: number, data: Uint8Array, flags = 0): Uint8Array {
  const head = u32(streamId & 0x7fffffff);
  const rest = new Uint8Array([
    flags,
    (data.length >> 16) & 0xff,
    (data.length >> 8) & 0xff,
    data.length & 0xff,
  ]);
  return concat([head, rest, data]);
}

/** The stream id a SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE payload starts with. */
export function streamIdOf(payload: Uint8Array): number {
  return readU32(payload, 0) & 0x7fffffff;
}

export function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
