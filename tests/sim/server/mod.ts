/**
 * The HTTP layer: routing of `/api`, `/apis`, `/version`, `/openapi/*`, the
 * `/__sim/*` control endpoints, request faults, bearer-token checks, body
 * decoding (JSON, YAML, protobuf) and `Status` errors.
 *
 * @module
 */

import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "../discovery.ts";
import { reasonFor } from "../faults.ts";
import { type Rec, StatusError, statusObject } from "../object.ts";
import { boolParam, errorResponse, type HandlerDeps, json, notFoundPath } from "./_http.ts";
import { controlEndpoints } from "./control.ts";
import type { RequestLogEntry } from "./request_log.ts";
import { resourceRoutes } from "./resources.ts";

export type { HandlerDeps } from "./_http.ts";
export { type RequestFilter, RequestLog, type RequestLogEntry } from "./request_log.ts";

function versionInfo(version: string): Rec {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return {
    major: m?.[1] ?? "1",
    minor: m?.[2] ?? "35",
    emulationMajor: m?.[1] ?? "1",
    emulationMinor: m?.[2] ?? "35",
    minCompatibilityMajor: m?.[1] ?? "1",
    minCompatibilityMinor: String(Math.max(0, Number(m?.[2] ?? 35) - 1)),
    gitVersion: version.startsWith("v") ? version : `v${version}`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.25.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

/** Builds the request handler. */
export function createHandler(deps: HandlerDeps): (req: Request) => Promise<Response> {
  const { api, requests } = deps;
  const { route, resource } = resourceRoutes(deps);
  const control = controlEndpoints(deps);

  function dispatch(req: Request, url: URL, ua: string): Promise<Response> | Response {
    const path = url.pathname;
    if (path === "/version" || path === "/version/") return json(versionInfo(deps.serverVersion));
    if (path === "/openapi/v2") {
      return new Response(new Uint8Array(0), {
        status: 200,
        headers: { "content-type": "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" },
      });
    }
    if (path === "/healthz" || path === "/readyz" || path === "/livez") {
      return new Response("ok", { headers: { "content-type": "text/plain" } });
    }
    const pod = deps.podEndpoint?.(req, url);
    if (pod) return pod;
    const segs = path.split("/").filter((s) => s.length > 0).map(decodeURIComponent);
    const accept = req.headers.get("accept") ?? "";
    const aggregated = deps.aggregatedDiscovery && accept.includes("as=APIGroupDiscoveryList");
    if (segs[0] === "api") {
      if (segs.length === 1) {
        if (aggregated) {
          return json(aggregatedDiscovery(api.registry, true), 200, {
            "content-type": AGGREGATED_CONTENT_TYPE,
          });
        }
        return json(apiVersions(deps.address()));
      }
      if (segs[1] !== "v1") throw notFoundPath();
      if (segs.length === 2) return json(apiResourceList(api.registry, "", "v1"));
      return resource(req, url, route("", "v1", segs.slice(2)), ua);
    }
    if (segs[0] === "apis") {
      if (segs.length === 1) {
        if (aggregated) {
          return json(aggregatedDiscovery(api.registry, false), 200, {
            "content-type": AGGREGATED_CONTENT_TYPE,
          });
        }
        return json(apiGroupList(api.registry));
      }
      if (segs.length === 2) {
        const group = apiGroup(api.registry, segs[1]);
        if (!group) throw notFoundPath();
        return json(group);
      }
      if (segs.length === 3) {
        const list = apiResourceList(api.registry, segs[1], segs[2]);
        if (!list) throw notFoundPath();
        return json(list);
      }
      return resource(req, url, route(segs[1], segs[2], segs.slice(3)), ua);
    }
    throw notFoundPath();
  }

  return async function handle(req: Request): Promise<Response> {
    const started = performance.now();
    const url = new URL(req.url);
    const ua = req.headers.get("user-agent") ?? "";
    if (url.pathname.startsWith("/__sim/")) {
      try {
        return await control(req, url);
      } catch (error) {
        if (error instanceof StatusError) return errorResponse(error);
        return json(
          statusObject(400, "BadRequest", String(error instanceof Error ? error.message : error)),
          400,
        );
      }
    }
    const entry: RequestLogEntry = {
      time: new Date().toISOString(),
      method: req.method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      userAgent: ua,
      contentType: req.headers.get("content-type") ?? "",
      status: 0,
      durationMs: 0,
      watch: boolParam(url.searchParams, "watch"),
    };
    requests.add(entry);
    let response: Response;
    try {
      if (deps.isClosing()) {
        throw new StatusError(503, "ServiceUnavailable", "the simulator is shutting down");
      }
      if (deps.token !== undefined) {
        const auth = req.headers.get("authorization") ?? "";
        if (auth !== `Bearer ${deps.token}`) {
          throw new StatusError(401, "Unauthorized", "Unauthorized");
        }
      }
      const fault = deps.faults.takeRequest(req.method, url.pathname, entry.query, ua);
      if (fault?.latencyMs) await deps.scheduler.sleep(fault.latencyMs);
      if (fault?.status !== undefined) {
        const headers: Record<string, string> = {};
        const details: Rec = {};
        if (fault.retryAfter !== undefined) {
          headers["retry-after"] = String(fault.retryAfter);
          details.retryAfterSeconds = fault.retryAfter;
        }
        await req.body?.cancel();
        throw new StatusError(
          fault.status,
          fault.reason ?? reasonFor(fault.status),
          fault.message ?? `injected fault: ${fault.status} for ${req.method} ${url.pathname}`,
          Object.keys(details).length ? details : undefined,
          headers,
        );
      }
      response = await dispatch(req, url, ua);
    } catch (error) {
      if (error instanceof StatusError) response = errorResponse(error);
      else {
        const message = error instanceof Error ? error.message : String(error);
        response = json(
          statusObject(500, "InternalError", `Internal error occurred: ${message}`),
          500,
        );
      }
    }
    entry.status = response.status;
    entry.durationMs = Math.round((performance.now() - started) * 10) / 10;
    return response;
  };
}
