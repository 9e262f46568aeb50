/**
 * What the simulator's HTTP layer shares: its dependencies, JSON and
 * `Status` responses, and request body and parameter decoding (JSON, YAML,
 * protobuf, patch content types).
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import type { Api, PatchType } from "../api/mod.ts";
import type { FaultSet } from "../faults.ts";
import { type KubeObject, type Rec, StatusError } from "../object.ts";
import { decodeProtobuf, isProtobuf } from "../protobuf.ts";
import type { Scheduler } from "../scheduler.ts";
import type { WatchHub } from "../watch.ts";
import type { RequestLog } from "./request_log.ts";

/** What the HTTP layer needs. */
export interface HandlerDeps {
  api: Api;
  faults: FaultSet;
  watches: WatchHub;
  scheduler: Scheduler;
  requests: RequestLog;
  serverVersion: string;
  aggregatedDiscovery: boolean;
  token?: string;
  /** `host:port`, for `/api`'s serverAddressByClientCIDRs. */
  address: () => string;
  /** Seeds objects (used by `POST /__sim/seed` and faults with `seed`). */
  seed: (objects: Rec[]) => KubeObject[];
  isClosing: () => boolean;
  /** A pod's proxy or port-forward (`pod_endpoints.ts`); undefined for any other path. */
  podEndpoint?: (req: Request, url: URL) => Response | undefined;
  /** `POST /__sim/traffic/productpage?namespace=N`: one simulated productpage request. */
  productpageTraffic?: (namespace?: string) => number;
}

/** The content type of every JSON answer. */
export const JSON_TYPE = "application/json";

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": JSON_TYPE, ...headers },
  });
}

/** A `Status` response for `error`. */
export function errorResponse(error: StatusError): Response {
  const headers: Record<string, string> = { ...error.headers };
  return json(error.toStatus(), error.code, headers);
}

/** The 404 of a path the server does not serve. */
export function notFoundPath(): StatusError {
  return new StatusError(404, "NotFound", "the server could not find the requested resource", {});
}

/** The request body's bytes. */
export async function readBody(req: Request): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  return new Uint8Array(await req.arrayBuffer());
}

/** The request body decoded by its content type (JSON, YAML or protobuf). */
export function parseBody(bytes: Uint8Array, contentType: string): unknown {
  if (bytes.length === 0) return {};
  if (contentType.includes("protobuf") || isProtobuf(bytes)) return decodeProtobuf(bytes);
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    if (contentType.includes("json") && !contentType.includes("yaml")) {
      throw new StatusError(400, "BadRequest", "the body of the request is not valid JSON");
    }
    try {
      return parseYaml(text);
    } catch (error) {
      throw new StatusError(
        400,
        "BadRequest",
        `the body of the request is not valid YAML: ${error}`,
      );
    }
  }
}

/** The patch type of a PATCH's content type; 415 for any other. */
export function patchTypeOf(contentType: string): PatchType {
  if (contentType.startsWith("application/apply-patch")) return "apply";
  if (contentType.startsWith("application/merge-patch+json")) return "merge";
  if (contentType.startsWith("application/strategic-merge-patch+json")) return "strategic";
  if (contentType.startsWith("application/json-patch+json")) return "json";
  throw new StatusError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
  );
}

/** Whether query parameter `name` is `true` or `1`. */
export function boolParam(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  return v === "true" || v === "1";
}
