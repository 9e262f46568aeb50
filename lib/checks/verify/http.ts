/**
 * The end-to-end proof: a real GET of `/productpage` through whatever serves
 * bookinfo (or `--address`) answers 200, with the `Host` header bookinfo is
 * routed for. `httpGet` is the small HTTP/1.1 client that can send that
 * header.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import { loadBalancerAddress } from "../../run/kstatus.ts";
import { gatewayServiceRef } from "./gateway.ts";

/** The verify options the productpage request reads. */
export interface ProductpageOptions {
  /**
   * Used for the productpage request. The default speaks HTTP/1.1 itself so
   * that it can send a `Host` header (Deno's `fetch` drops it); an injected
   * `fetch` gets the header in `init.headers` to honour or ignore.
   */
  fetch?: typeof fetch;
  /** `host` or `host:port` to send the request to, instead of the gateway's address */
  address?: string;
  /** the `Host` header (default bookinfo.host, none when it is "*") */
  host?: string;
  /** how long the productpage request may take (default 10 s) */
  timeoutMs?: number;
}

export const DEFAULT_PRODUCTPAGE_TIMEOUT_MS = 10_000;

export const productpage: CheckDef<ProductpageOptions> = {
  id: "productpage",
  title: "productpage",
  run: checkProductpage,
};

/** `http://host[:port]/productpage`, IPv6 literals bracketed. */
export function productpageUrl(address: string): string {
  const colons = (address.match(/:/g) ?? []).length;
  const host = colons > 1 && !address.startsWith("[") ? `[${address}]` : address;
  return `http://${host}/productpage`;
}

/** Where requests go: the override, else the address of whatever serves bookinfo. */
async function productpageAddress(
  ctx: CheckContext<ProductpageOptions>,
): Promise<{ address?: string; source: string }> {
  if (ctx.options.address) return { address: ctx.options.address, source: "--address" };
  const b = ctx.config.bookinfo;
  if (b.flavour === "gateway-api") {
    const gw = await ctx.get({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      namespace: b.namespace,
      name: "bookinfo-gateway",
    });
    const addresses = ((gw?.status as Json | undefined)?.addresses ?? []) as Json[];
    const value = addresses.map((a) => String(a.value ?? "")).find((v) => v !== "");
    if (value) return { address: value, source: `Gateway ${b.namespace}/bookinfo-gateway` };
    const svc = await ctx.get({
      apiVersion: "v1",
      kind: "Service",
      namespace: b.namespace,
      name: "bookinfo-gateway-istio",
    });
    return {
      address: svc ? loadBalancerAddress(svc) : undefined,
      source: `Service ${b.namespace}/bookinfo-gateway-istio`,
    };
  }
  const ref = gatewayServiceRef(ctx.config);
  const svc = await ctx.get(ref);
  return {
    address: svc ? loadBalancerAddress(svc) : undefined,
    source: `Service ${ref.namespace}/${ref.name}`,
  };
}

async function checkProductpage(
  ctx: CheckContext<ProductpageOptions>,
): Promise<CheckOutcome> {
  const { address, source } = await productpageAddress(ctx);
  if (!address) {
    return {
      status: "fail",
      detail: `no address to send the request to (${source} has none)`,
      hint: "fix the gateway address first, or pass an address to try",
    };
  }
  const url = productpageUrl(address);
  const bookinfoHost = ctx.config.bookinfo.host;
  const host = ctx.options.host ?? (bookinfoHost === "*" ? undefined : bookinfoHost);
  const timeoutMs = ctx.options.timeoutMs ?? DEFAULT_PRODUCTPAGE_TIMEOUT_MS;
  const doFetch = ctx.options.fetch ?? httpGet;
  const shownHost = host ? ` (Host: ${host})` : "";
  const started = performance.now();
  let status: number;
  try {
    const res = await doFetch(url, {
      method: "GET",
      redirect: "manual",
      headers: host ? { host } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
  } catch (e) {
    return { status: "fail", ...describeFetchError(e, url + shownHost, timeoutMs) };
  }
  const ms = Math.round(performance.now() - started);
  if (status === 200) {
    return { status: "pass", detail: `GET ${url}${shownHost}: HTTP 200 in ${ms} ms` };
  }
  const ns = ctx.config.bookinfo.namespace;
  return {
    status: "fail",
    detail: `GET ${url}${shownHost}: HTTP ${status}, want 200`,
    hint: status === 404
      ? "the gateway does not route /productpage for this host: check the Gateway's hosts and " +
        `the route in ${ns} (kubectl -n ${ns} get virtualservices,httproutes)`
      : status >= 500
      ? `the gateway has no healthy backend: kubectl -n ${ns} get pods`
      : `unexpected answer: try curl -v ${host ? `-H 'Host: ${host}' ` : ""}${url}`,
  };
}

function describeFetchError(
  e: unknown,
  target: string,
  timeoutMs: number,
): { detail: string; hint: string } {
  const name = e instanceof Error || e instanceof DOMException ? e.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      detail: `GET ${target}: no answer within ${formatSeconds(timeoutMs)}`,
      hint: "is the address reachable from here (load balancer, firewall, route)? " +
        "kubectl -n istio-ingress get svc",
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.ConnectionRefused || /connection refused/i.test(message)) {
    return {
      detail: `GET ${target}: connection refused`,
      hint: "nothing listens on that address and port: check the gateway Service's ports and " +
        "its pods",
    };
  }
  return {
    detail: `GET ${target}: ${message.split("\n")[0]}`,
    hint: "is the address reachable from here (load balancer, firewall, route)?",
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

// ------------------------------------------------------------ HTTP client

/**
 * A minimal HTTP/1.1 GET with the headers as given, `Host` included (Deno's
 * `fetch` replaces it with the URL's). Reads the status line and headers,
 * then closes: only the status matters here. Typed as `fetch` so callers
 * can swap it.
 */
export async function httpGet(
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol !== "http:") {
    throw new TypeError(`Only http:// is supported (got ${url.protocol})`);
  }
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const headers = new Headers(init.headers);
  const lines = [
    `${init.method ?? "GET"} ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${headers.get("host") ?? url.host}`,
    "User-Agent: meshup-verify",
    "Accept: */*",
    "Connection: close",
  ];
  for (const [k, v] of headers) {
    if (!["host", "user-agent", "accept", "connection"].includes(k)) lines.push(`${k}: ${v}`);
  }
  const connecting = Deno.connect({
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 80),
  });
  const conn = await abortable(connecting, signal, (c) => c.close());
  const onAbort = (): void => {
    try {
      conn.close();
    } catch { /* closed */ }
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const request = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
    for (let written = 0; written < request.length;) {
      written += await conn.write(request.subarray(written));
    }
    const decoder = new TextDecoder();
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n") && head.length < 65536) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: ([^\r\n]*))?/.exec(head);
    if (!m) {
      throw new TypeError(
        head === "" ? "connection closed without an answer" : "not an HTTP answer",
      );
    }
    const code = Number(m[1]);
    if (code < 200 || code > 599) throw new TypeError(`unexpected HTTP status ${code}`);
    return new Response(null, { status: code, statusText: m[2] ?? "" });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    onAbort();
  }
}

/** Awaits `p` unless `signal` aborts first; a late result is disposed of. */
function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => void,
): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.then(dispose, () => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v); // a no-op after an abort: onAbort disposes of it
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
