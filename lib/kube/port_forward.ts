/**
 * One HTTP GET to a pod's port through a port-forward, as `kubectl
 * port-forward` (and istioctl) reach what a pod serves on localhost only,
 * e.g. ztunnel's admin API on 15000, which the API server's pod proxy cannot
 * reach.
 *
 * The port-forward is `GET /api/v1/namespaces/N/pods/P/portforward?ports=PORT`
 * upgraded to a WebSocket with the kubelet's `v4.channel.k8s.io` subprotocol:
 * every message starts with a channel byte; the port has a data channel (0)
 * and an error channel (1), each opened by the server with the port as two
 * little-endian bytes. The request goes out on channel 0 with
 * `Connection: close`; the answer is what arrives on channel 0 until the
 * socket closes; text on channel 1 is the kubelet's error.
 *
 * @module
 */

export const PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** Opens a WebSocket to an API path with the client's credential and TLS settings. */
export type WebSocketOpener = (
  path: string,
  protocols: string[],
  signal?: AbortSignal,
) => Promise<WebSocket>;

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  port: number;
}

export interface PortForwardRequest {
  /** the HTTP path on the pod, e.g. `/config_dump` */
  path: string;
  signal?: AbortSignal;
  /** the whole exchange's deadline (default 15 s) */
  timeoutMs?: number;
}

/** An HTTP answer read through a port-forward. */
export interface PortForwardResponse {
  status: number;
  body: string;
}

/** `GET request.path` on the pod's port through a port-forward. */
export async function portForwardGet(
  open: WebSocketOpener,
  target: PortForwardTarget,
  request: PortForwardRequest,
): Promise<PortForwardResponse> {
  const timeoutMs = request.timeoutMs ?? 15_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const where = `port-forward ${target.namespace}/${target.pod} ${target.port}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${
    encodeURIComponent(target.pod)
  }/portforward?ports=${target.port}`;
  const socket = await open(path, [PORT_FORWARD_PROTOCOL], signal);
  socket.binaryType = "arraybuffer";
  const data: Uint8Array[] = [];
  let errorText = "";
  const opened = [false, false];
  const done = new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      socket.close();
      reject(
        request.signal?.aborted
          ? request.signal.reason
          : new Error(`Cannot ${where}: no answer within ${timeoutMs / 1000}s`),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.onopen = () => {
      const head = `GET ${request.path} HTTP/1.1\r\nHost: localhost:${target.port}\r\n` +
        "User-Agent: meshup\r\nAccept: */*\r\nConnection: close\r\n\r\n";
      const bytes = new TextEncoder().encode(head);
      const frame = new Uint8Array(bytes.length + 1);
      frame.set(bytes, 1);
      socket.send(frame);
    };
    socket.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return;
      const frame = new Uint8Array(e.data);
      const channel = frame[0];
      if (channel !== 0 && channel !== 1) return;
      let payload = frame.subarray(1);
      if (!opened[channel]) {
        // the first two bytes on each channel are the port
        opened[channel] = true;
        payload = payload.subarray(2);
      }
      if (payload.length === 0) return;
      if (channel === 0) data.push(payload.slice());
      else errorText += new TextDecoder().decode(payload);
    };
    socket.onerror = (e) => {
      signal.removeEventListener("abort", onAbort);
      const message = e instanceof ErrorEvent ? e.message : "WebSocket error";
      reject(new Error(`Cannot ${where}: ${message}`));
    };
    socket.onclose = () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
  });
  await done;
  if (errorText) throw new Error(`Cannot ${where}: ${errorText.trim()}`);
  return parseHttpResponse(concat(data), where);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An HTTP/1.1 answer (Content-Length, chunked, or up to the close). */
export function parseHttpResponse(bytes: Uint8Array, where: string): PortForwardResponse {
  const text = new TextDecoder().decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (end < 0 || !m) {
    throw new Error(
      `Cannot ${where}: ${text === "" ? "the pod closed the connection" : "not an HTTP answer"}`,
    );
  }
  const head = text.slice(0, end).toLowerCase();
  let body = text.slice(end + 4);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) {
    let out = "";
    for (let rest = body;;) {
      const lineEnd = rest.indexOf("\r\n");
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(m[1]), body };
}
