/**
 * What a pod serves, as a real cluster exposes it: the pod proxy
 * (`/api/v1/namespaces/N/pods/P[:PORT]/proxy/...`) and port-forward
 * (`/api/v1/namespaces/N/pods/P/portforward?ports=...`).
 *
 * Only ztunnel's pods (namespace istio-system, label `app=ztunnel`) serve
 * anything:
 * - port 15020 `/stats/prometheus` (bound on the pod address, so the pod
 *   proxy reaches it), from {@link AmbientModel.metrics};
 * - port 15000 `/config_dump`, ztunnel's admin API, bound to localhost in
 *   the pod: the pod proxy gets "connection refused" exactly as the API
 *   server reports it, and only a port-forward reaches it.
 *
 * Port-forward is served over WebSocket with the `v4.channel.k8s.io`
 * subprotocol that the kubelet speaks (each message starts with its channel
 * byte; per port a data channel and an error channel, each opened with the
 * port as two little-endian bytes), and with `SPDY/3.1+portforward.k8s.io`,
 * the SPDY session kubectl 1.35's `port-forward` tunnels inside a WebSocket
 * (port_forward_spdy.ts). One HTTP/1.1 request per connection, answered with
 * `Connection: close`. A plain SPDY upgrade (kubectl's fallback for servers
 * without WebSocket support) is refused with a Status saying so.
 *
 * @module
 */

import type { AmbientModel } from "./ambient.ts";
import type { Api } from "./api/mod.ts";
import { type KubeObject, rec, StatusError, str } from "./object.ts";
import {
  type LocalAnswer,
  serveSpdyPortForward,
  SPDY_PORT_FORWARD_PROTOCOL,
} from "./port_forward_spdy.ts";

const ZTUNNEL_ADMIN_PORT = 15000;
const ZTUNNEL_STATS_PORT = 15020;
const PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** Handles `pods/NAME/proxy...` and `pods/NAME/portforward`; undefined when the path is neither. */
export function podEndpoint(
  req: Request,
  url: URL,
  deps: { api: Api; ambient: AmbientModel },
): Response | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(proxy|portforward)(\/.*)?$/.exec(
    url.pathname,
  );
  if (!m) return undefined;
  const namespace = decodeURIComponent(m[1]);
  const [name, portText] = decodeURIComponent(m[2]).split(":");
  const pod = deps.api.store.peek("/pods", namespace, name);
  if (!pod) {
    throw new StatusError(404, "NotFound", `pods "${name}" not found`, {
      name,
      kind: "pods",
    });
  }
  if (m[3] === "proxy") {
    const port = portText ? Number(portText) : firstPort(pod);
    return proxy(pod, port, m[4] ?? "/", deps.ambient);
  }
  return portForward(req, pod, url.searchParams.getAll("ports"), deps.ambient);
}

function isZtunnel(pod: KubeObject): boolean {
  return pod.metadata.namespace === "istio-system" && pod.metadata.labels?.app === "ztunnel";
}

function firstPort(pod: KubeObject): number {
  for (const c of (rec(pod.spec).containers ?? []) as Record<string, unknown>[]) {
    for (const p of (c.ports ?? []) as Record<string, unknown>[]) {
      if (typeof p.containerPort === "number") return p.containerPort;
    }
  }
  return 80;
}

function refused(pod: KubeObject, port: number): string {
  return `dial tcp ${
    str(rec(pod.status).podIP, "10.244.0.1")
  }:${port}: connect: connection refused`;
}

/** The answer of a pod's HTTP server on `port` to `GET path`, or undefined when nothing listens. */
function serve(
  pod: KubeObject,
  port: number,
  path: string,
  ambient: AmbientModel,
  via: "proxy" | "localhost",
): { status: number; type: string; body: string } | undefined {
  if (!isZtunnel(pod)) return undefined;
  const node = str(rec(pod.spec).nodeName);
  if (port === ZTUNNEL_STATS_PORT) {
    if (path === "/stats/prometheus" || path === "/metrics") {
      return { status: 200, type: "text/plain; version=0.0.4", body: ambient.metrics(node) };
    }
    return { status: 404, type: "text/plain", body: "not found\n" };
  }
  // the admin API binds to localhost only
  if (port === ZTUNNEL_ADMIN_PORT && via === "localhost") {
    if (path === "/config_dump") {
      return {
        status: 200,
        type: "application/json",
        body: JSON.stringify(ambient.configDump(node), null, 2),
      };
    }
    return { status: 404, type: "text/plain", body: "not found\n" };
  }
  return undefined;
}

function proxy(pod: KubeObject, port: number, path: string, ambient: AmbientModel): Response {
  const answer = serve(pod, port, path, ambient, "proxy");
  if (!answer) {
    throw new StatusError(
      503,
      "ServiceUnavailable",
      `error trying to reach service: ${refused(pod, port)}`,
    );
  }
  return new Response(answer.body, {
    status: answer.status,
    headers: { "content-type": answer.type },
  });
}

function portForward(
  req: Request,
  pod: KubeObject,
  ports: string[],
  ambient: AmbientModel,
): Response {
  const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((s) => s.trim());
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new StatusError(
      400,
      "BadRequest",
      "the simulator serves port-forward over WebSocket (v4.channel.k8s.io, or SPDY/3.1 tunneled " +
        "in it), not over a SPDY upgrade",
    );
  }
  const protocol = [SPDY_PORT_FORWARD_PROTOCOL, PORT_FORWARD_PROTOCOL].find((p) =>
    offered.includes(p)
  );
  if (!protocol) {
    throw new StatusError(
      400,
      "BadRequest",
      `port-forward needs the WebSocket subprotocol ${PORT_FORWARD_PROTOCOL} or ${SPDY_PORT_FORWARD_PROTOCOL} (offered: ${
        offered.join(", ") || "none"
      })`,
    );
  }
  // SPDY names each stream's port in its headers; the channel protocol needs them here
  const list = ports.flatMap((p) => p.split(",")).filter((p) => p !== "").map(Number);
  if (list.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) {
    throw new StatusError(400, "BadRequest", `invalid port list "${ports.join(",")}"`);
  }
  const { socket, response } = Deno.upgradeWebSocket(req, { protocol });
  socket.binaryType = "arraybuffer";
  const exchange = (port: number, head: string): LocalAnswer =>
    localhostExchange(pod, port, head, ambient);
  if (protocol === SPDY_PORT_FORWARD_PROTOCOL) {
    serveSpdyPortForward(socket, list, exchange);
    return response;
  }
  if (list.length !== 1) {
    throw new StatusError(400, "BadRequest", "exactly one port is served per port-forward");
  }
  serveChannelPortForward(socket, list[0], exchange);
  return response;
}

/**
 * What a connection to the pod's localhost:`port` answers to the HTTP
 * request `head`: the response bytes, or the kubelet's error when nothing
 * listens there.
 */
function localhostExchange(
  pod: KubeObject,
  port: number,
  head: string,
  ambient: AmbientModel,
): LocalAnswer {
  const path = /^[A-Z]+ (\S+) HTTP\/1\.[01]/.exec(head)?.[1]?.split("?")[0] ?? "/";
  const answer = serve(pod, port, path, ambient, "localhost");
  if (!answer) {
    const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
    return { error: `error forwarding port ${port} to pod ${name}: ${refused(pod, port)}` };
  }
  const body = new TextEncoder().encode(answer.body);
  const headText = `HTTP/1.1 ${answer.status} ${answer.status === 200 ? "OK" : "Not Found"}\r\n` +
    `content-type: ${answer.type}\r\ncontent-length: ${body.length}\r\n` +
    "connection: close\r\n\r\n";
  const headBytes = new TextEncoder().encode(headText);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return { bytes: out };
}

/** The kubelet's channel protocol: data on channel 0, errors on channel 1. */
function serveChannelPortForward(
  socket: WebSocket,
  port: number,
  exchange: (port: number, head: string) => LocalAnswer,
): void {
  let received = new Uint8Array(0);
  let answered = false;
  const send = (channel: number, bytes: Uint8Array): void => {
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = channel;
    frame.set(bytes, 1);
    socket.send(frame);
  };
  socket.onopen = () => {
    const portBytes = new Uint8Array([port & 0xff, port >> 8]);
    send(0, portBytes);
    send(1, portBytes);
  };
  socket.onmessage = (e) => {
    if (answered || !(e.data instanceof ArrayBuffer)) return;
    const frame = new Uint8Array(e.data);
    if (frame[0] !== 0) return;
    const next = new Uint8Array(received.length + frame.length - 1);
    next.set(received);
    next.set(frame.subarray(1), received.length);
    received = next;
    const head = new TextDecoder().decode(received);
    if (!head.includes("\r\n\r\n")) return;
    answered = true;
    const answer = exchange(port, head);
    if ("error" in answer) {
      send(
        1,
        new TextEncoder().encode(
          `an error occurred forwarding ${port} -> ${port}: ${answer.error}`,
        ),
      );
      socket.close(1000);
      return;
    }
    // in pieces, as a TCP stream arrives
    for (let i = 0; i < answer.bytes.length; i += 16 * 1024) {
      send(0, answer.bytes.subarray(i, i + 16 * 1024));
    }
    socket.close(1000);
  };
}
