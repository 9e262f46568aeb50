/**
 * HTTPS through `node:https`, for the one thing `Deno.serve` cannot do: ask
 * the client for a certificate and refuse the connection without one signed
 * by the simulator's CA. Requests are handed to the same fetch-style handler
 * as `Deno.serve` uses; response bodies (watches included) are streamed
 * chunk by chunk and cancelled when the client goes away.
 *
 * @module
 */

import { concat } from "./bytes.ts";
import { createServer, type ServerOptions } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";

/** What `startSim` needs of a server. */
export interface SimServer {
  port: number;
  shutdown(): Promise<void>;
}

/** Options of {@link serveMutualTls}. */
export interface MutualTlsOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The CA that client certificates must chain to. */
  caPem: string;
}

function toRequest(req: IncomingMessage, body: Uint8Array, origin: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || key.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD" && body.length > 0;
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: hasBody ? body as BufferSource : undefined,
  });
}

async function readAll(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  return concat(chunks);
}

async function send(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => headers[key] = value);
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on("close", () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      res.write(value);
    }
  } finally {
    res.end();
  }
}

/**
 * Serves `handler` over HTTPS with `requestCert` and `rejectUnauthorized`:
 * a client without a certificate signed by `caPem` never gets an answer.
 */
export async function serveMutualTls(
  options: MutualTlsOptions,
  handler: (req: Request) => Promise<Response>,
): Promise<SimServer> {
  const serverOptions: ServerOptions = {
    key: options.keyPem,
    cert: options.certPem,
    ca: options.caPem,
    requestCert: true,
    rejectUnauthorized: true,
  };
  let origin = "";
  const server = createServer(serverOptions, (req, res) => {
    readAll(req)
      .then((body) => handler(toRequest(req, body, origin)))
      .then((response) => send(response, res))
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  origin = `https://${options.hostname}:${port}`;
  return {
    port,
    shutdown(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
