/**
 * The server side of `kubectl port-forward` 1.35: a SPDY/3.1 session
 * tunneled in a WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`; each
 * binary message carries bytes of the session, frames may span messages).
 *
 * Per local connection kubectl opens two streams with SYN_STREAM, headers
 * `streamtype: error|data`, `port` and `requestid`, and waits for each
 * SYN_REPLY. It half-closes the error stream at once and sends the
 * connection's bytes on the data stream. The answer goes back on the data
 * stream, then FIN; the error stream carries the kubelet's error text, if
 * any, then FIN. PING is answered; flow control is not enforced (kubelet's
 * spdystream does not either).
 *
 * @module
 */

import {
  concat,
  controlFrame,
  dataFrame,
  FLAG_FIN,
  FrameReader,
  GOAWAY,
  HeaderDeflater,
  HeaderInflater,
  HEADERS,
  PING,
  RST_STREAM,
  streamIdOf,
  SYN_REPLY,
  SYN_STREAM,
  u32,
} from "./spdy.ts";

export const SPDY_PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

/** What a localhost connection answers: the bytes, or the kubelet's error. */
export type LocalAnswer = { bytes: Uint8Array } | { error: string };

/** RST_STREAM status PROTOCOL_ERROR, for a stream that makes no sense. */
const PROTOCOL_ERROR = 1;

interface Pair {
  error?: number;
  data?: number;
  port: number;
  received: Uint8Array;
  answered: boolean;
}

/** Serves the session on `socket`, for the ports the request named (any when it named none). */
export function serveSpdyPortForward(
  socket: WebSocket,
  ports: readonly number[],
  exchange: (port: number, head: string) => LocalAnswer,
): void {
  const reader = new FrameReader();
  const inflater = new HeaderInflater();
  const deflater = new HeaderDeflater();
  const pairs = new Map<string, Pair>();
  const dataStreams = new Map<number, Pair>();
  const send = (bytes: Uint8Array): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
  };
  const reset = (streamId: number): void =>
    send(controlFrame(RST_STREAM, 0, concat([u32(streamId), u32(PROTOCOL_ERROR)])));

  const answer = (pair: Pair): void => {
    pair.answered = true;
    const head = new TextDecoder().decode(pair.received);
    const result = exchange(pair.port, head);
    if ("bytes" in result) {
      // in pieces, as a TCP stream arrives
      for (let i = 0; i < result.bytes.length; i += 16 * 1024) {
        send(dataFrame(pair.data!, result.bytes.subarray(i, i + 16 * 1024)));
      }
    } else if (pair.error !== undefined) {
      send(dataFrame(pair.error, new TextEncoder().encode(result.error)));
    }
    send(dataFrame(pair.data!, new Uint8Array(0), FLAG_FIN));
    if (pair.error !== undefined) send(dataFrame(pair.error, new Uint8Array(0), FLAG_FIN));
  };

  const synStream = (payload: Uint8Array): void => {
    const streamId = streamIdOf(payload);
    // stream id, associated stream id, priority and slot, then the header block
    const headers = inflater.inflate(payload.subarray(10));
    const type = headers.get("streamtype");
    const port = Number(headers.get("port"));
    const requestId = headers.get("requestid") ?? "";
    if (
      (type !== "error" && type !== "data") ||
      !(Number.isInteger(port) && port > 0 && (ports.length === 0 || ports.includes(port)))
    ) {
      reset(streamId);
      return;
    }
    const key = `${requestId}/${port}`;
    const pair = pairs.get(key) ?? { port, received: new Uint8Array(0), answered: false };
    pairs.set(key, pair);
    pair[type] = streamId;
    if (type === "data") dataStreams.set(streamId, pair);
    send(controlFrame(SYN_REPLY, 0, concat([u32(streamId), deflater.deflate({})])));
  };

  // kubectl ends the tunnel by closing its connection
  socket.onerror = () => {};
  socket.onmessage = (e) => {
    if (!(e.data instanceof ArrayBuffer)) return;
    try {
      onBytes(new Uint8Array(e.data));
    } catch {
      // a frame this session cannot read: the peer sees the tunnel close
      socket.close(1002);
    }
  };

  const onBytes = (bytes: Uint8Array): void => {
    for (const f of reader.push(bytes)) {
      if (!f.control) {
        const pair = dataStreams.get(f.streamId);
        if (!pair || pair.answered) continue;
        pair.received = concat([pair.received, f.data]);
        const headComplete = new TextDecoder().decode(pair.received).includes("\r\n\r\n");
        if (headComplete || f.flags & FLAG_FIN) answer(pair);
        continue;
      }
      if (f.type === SYN_STREAM) synStream(f.payload);
      else if (f.type === PING) send(controlFrame(PING, 0, f.payload));
      else if (f.type === GOAWAY) socket.close(1000);
      // its header block moves the session's zlib stream on
      else if (f.type === HEADERS) inflater.inflate(f.payload.subarray(4));
      // SETTINGS, WINDOW_UPDATE, RST_STREAM: nothing to do for a one-shot exchange
    }
  };
}
