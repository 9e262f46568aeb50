/**
 * The HTTP layer: routing of `/api`, `/apis`, `/version`, `/openapi/*`, the
 * `/__sim/*` control endpoints, request faults, bearer-token checks, body
 * decoding (JSON, YAML, protobuf) and `Status` errors.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { type Api, type PatchType, typeKey } from "./api/mod.ts";
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "./discovery.ts";
import { type FaultSet, parseFaults, reasonFor } from "./faults.ts";
import { isRec, type KubeObject, type Rec, rec, StatusError, statusObject } from "./object.ts";
import { jsonPatch, mergePatch } from "./patch.ts";
import { decodeProtobuf, isProtobuf } from "./protobuf.ts";
import type { ResourceType } from "./resources.ts";
import type { Scheduler } from "./scheduler.ts";
import { parseSelectors } from "./selectors.ts";
import { toTable, wantsTable } from "./table.ts";
import type { WatchHub } from "./watch.ts";

/** One logged request. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  query: string;
  userAgent: string;
  contentType: string;
  status: number;
  durationMs: number;
  watch: boolean;
}

/** A filter for counting logged requests. */
export interface RequestFilter {
  method?: string;
  /** Regular expression (string or RegExp) on the path. */
  path?: string | RegExp;
  /** Regular expression on the query string. */
  query?: string | RegExp;
  /** Regular expression on the User-Agent (e.g. /^Helm/). */
  userAgent?: string | RegExp;
  status?: number;
}

/** The request log, for tests that count requests. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  /** Appends an entry. */
  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
  }

  /** Every entry, oldest first (optionally filtered). */
  list(filter: RequestFilter = {}): RequestLogEntry[] {
    const re = (v: string | RegExp | undefined): RegExp | undefined =>
      v === undefined ? undefined : typeof v === "string" ? new RegExp(v) : v;
    const path = re(filter.path);
    const query = re(filter.query);
    const agent = re(filter.userAgent);
    return this.#entries.filter((e) =>
      (filter.method === undefined || filter.method.toUpperCase() === e.method) &&
      (path === undefined || path.test(e.path)) &&
      (query === undefined || query.test(e.query)) &&
      (agent === undefined || agent.test(e.userAgent)) &&
      (filter.status === undefined || filter.status === e.status)
    );
  }

  /** How many entries match. */
  count(filter: RequestFilter = {}): number {
    return this.list(filter).length;
  }

  /** Forgets every entry. */
  reset(): void {
    this.#entries = [];
  }
}

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

const JSON_TYPE = "application/json";

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": JSON_TYPE, ...headers },
  });
}

function errorResponse(error: StatusError): Response {
  const headers: Record<string, string> = { ...error.headers };
  return json(error.toStatus(), error.code, headers);
}

function notFoundPath(): StatusError {
  return new StatusError(404, "NotFound", "the server could not find the requested resource", {});
}

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

async function readBody(req: Request): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  return new Uint8Array(await req.arrayBuffer());
}

function parseBody(bytes: Uint8Array, contentType: string): unknown {
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

function patchTypeOf(contentType: string): PatchType {
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

function boolParam(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  return v === "true" || v === "1";
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Builds the request handler. */
export function createHandler(deps: HandlerDeps): (req: Request) => Promise<Response> {
  const { api, requests } = deps;

  function route(group: string, version: string, rest: string[]): Route {
    let namespace: string | undefined;
    let parts = rest;
    const nsSub = group === "" && rest[0] === "namespaces" && rest.length === 3 &&
      (rest[2] === "status" || rest[2] === "finalize");
    if (rest[0] === "namespaces" && rest.length >= 3 && !nsSub) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = parts;
    const type = api.registry.find(group, version, resource);
    if (!type || extra.length > 0) throw notFoundPath();
    if (namespace !== undefined && !type.namespaced) throw notFoundPath();
    return { type, namespace, name, subresource };
  }

  async function resource(req: Request, url: URL, r: Route, ua: string): Promise<Response> {
    const { type, namespace, name, subresource } = r;
    const params = url.searchParams;
    const method = req.method;
    const manager = params.get("fieldManager") ?? undefined;
    const dryRun = params.getAll("dryRun").includes("All");
    const contentType = (req.headers.get("content-type") ?? "").toLowerCase();
    const table = wantsTable(req.headers.get("accept") ?? "");
    if (name === undefined) {
      if (method === "GET") {
        const selector = parseSelectors(params);
        if (boolParam(params, "watch")) {
          const timeout = params.get("timeoutSeconds");
          const body = deps.watches.open({
            type,
            gr: typeKey(type),
            namespace: type.namespaced ? namespace : undefined,
            selector,
            resourceVersion: params.get("resourceVersion") ?? undefined,
            sendInitialEvents: boolParam(params, "sendInitialEvents"),
            allowBookmarks: boolParam(params, "allowWatchBookmarks"),
            timeoutSeconds: timeout ? Number(timeout) : undefined,
            transform: table
              ? (o) => toTable(type, [o], o.metadata.resourceVersion ?? "")
              : undefined,
            fault: deps.faults.takeWatch(
              url.pathname,
              params.get("resourceVersion") ?? undefined,
            ),
          });
          return new Response(body, {
            status: 200,
            headers: { "content-type": JSON_TYPE, "cache-control": "no-cache, private" },
          });
        }
        const list = api.list(type, namespace, selector);
        if (table) {
          const rv = String(rec(list.metadata).resourceVersion);
          return json(toTable(type, list.items as KubeObject[], rv));
        }
        return json(list);
      }
      if (method === "POST") {
        const body = parseBody(await readBody(req), contentType);
        const created = api.create(type, namespace, rec(body), { manager, userAgent: ua, dryRun });
        return json(created, 201);
      }
      if (method === "DELETE") {
        const selector = parseSelectors(params);
        const listed = api.list(type, namespace, selector);
        const items = (listed.items as KubeObject[]).map((o) =>
          api.delete(type, o.metadata.namespace, o.metadata.name ?? "", { dryRun })
        );
        return json({ ...listed, items });
      }
      throw new StatusError(
        405,
        "MethodNotAllowed",
        `the server does not allow this method on the requested resource`,
      );
    }
    if (subresource === undefined || subresource === "status") {
      const status = subresource === "status";
      if (status && !type.status) throw notFoundPath();
      switch (method) {
        case "GET":
          if (table && !status) {
            const obj = api.get(type, namespace, name);
            return json(toTable(type, [obj], obj.metadata.resourceVersion ?? ""));
          }
          return json(api.get(type, namespace, name));
        case "PUT": {
          const body = rec(parseBody(await readBody(req), contentType));
          const out = status
            ? api.updateStatus(type, namespace, name, body, { manager, userAgent: ua, dryRun })
            : api.update(type, namespace, name, body, { manager, userAgent: ua, dryRun });
          return json(out);
        }
        case "PATCH": {
          const patchType = patchTypeOf(contentType);
          const raw = await readBody(req);
          const body = parseBody(
            raw,
            patchType === "apply" ? "application/yaml" : "application/json",
          );
          const out = api.patch(type, namespace, name, patchType, body, {
            manager,
            userAgent: ua,
            dryRun,
            force: boolParam(params, "force"),
            subresource: status ? "status" : undefined,
          });
          return json(out.object, out.created ? 201 : 200);
        }
        case "DELETE": {
          const raw = await readBody(req);
          let options: Rec = {};
          if (raw.length > 0 && !isProtobuf(raw)) {
            try {
              options = rec(JSON.parse(new TextDecoder().decode(raw)));
            } catch {
              options = {};
            }
          }
          const propagationPolicy = params.get("propagationPolicy") ??
            (typeof options.propagationPolicy === "string" ? options.propagationPolicy : undefined);
          const preconditions = rec(options.preconditions);
          if (typeof preconditions.uid === "string") {
            const current = api.get(type, namespace, name);
            if (current.metadata.uid !== preconditions.uid) {
              throw new StatusError(
                409,
                "Conflict",
                `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
              );
            }
          }
          return json(api.delete(type, namespace, name, { propagationPolicy, dryRun }));
        }
      }
      throw new StatusError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    if (subresource === "finalize" && type.resource === "namespaces" && method === "PUT") {
      const body = rec(parseBody(await readBody(req), contentType));
      return json(api.finalizeNamespace(name, body, { manager, userAgent: ua }));
    }
    if (
      subresource === "scale" &&
      ["deployments", "statefulsets", "replicasets"].includes(type.resource)
    ) {
      return scale(req, type, namespace, name, contentType, ua);
    }
    if (subresource === "log" && type.resource === "pods" && method === "GET") {
      api.get(type, namespace, name);
      return new Response("", { status: 200, headers: { "content-type": "text/plain" } });
    }
    throw notFoundPath();
  }

  async function scale(
    req: Request,
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    ua: string,
  ): Promise<Response> {
    const obj = api.get(type, namespace, name);
    const toScale = (o: KubeObject): Rec => ({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: rec(o.spec).replicas },
      status: {
        replicas: rec(o.status).replicas ?? 0,
        selector: Object.entries(rec(rec(rec(o.spec).selector).matchLabels))
          .map(([k, v]) => `${k}=${v}`).join(","),
      },
    });
    if (req.method === "GET") return json(toScale(obj));
    let desired: unknown;
    const body = parseBody(
      await readBody(req),
      req.method === "PATCH" ? "application/json" : contentType,
    );
    if (req.method === "PUT") desired = rec(rec(body).spec).replicas;
    else if (req.method === "PATCH") {
      const patchType = patchTypeOf(contentType);
      const base = toScale(obj);
      const patched = patchType === "json" ? jsonPatch(base, body) : mergePatch(base, body);
      desired = rec(rec(patched).spec).replicas;
    } else {throw new StatusError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );}
    if (typeof desired !== "number") {
      throw new StatusError(422, "Invalid", "spec.replicas: Required value");
    }
    const out = api.patch(type, namespace, name, "merge", { spec: { replicas: desired } }, {
      userAgent: ua,
      manager: params(req).get("fieldManager") ?? undefined,
    });
    return json(toScale(out.object));
  }

  function params(req: Request): URLSearchParams {
    return new URL(req.url).searchParams;
  }

  async function control(req: Request, url: URL): Promise<Response> {
    const path = url.pathname.slice("/__sim".length);
    if ((path === "/requests" || path === "/requests/count") && req.method === "GET") {
      const q = url.searchParams;
      const filter: RequestFilter = {
        method: q.get("method") ?? undefined,
        path: q.get("path") ?? undefined,
        query: q.get("query") ?? undefined,
        userAgent: q.get("userAgent") ?? undefined,
        status: q.has("status") ? Number(q.get("status")) : undefined,
      };
      const entries = requests.list(filter);
      return json(path === "/requests" ? entries : { count: entries.length });
    }
    if (path === "/reset-log" && req.method === "POST") {
      requests.reset();
      return json({ ok: true });
    }
    if (path === "/faults") {
      if (req.method === "GET") return json(deps.faults.snapshot());
      if (req.method === "DELETE") {
        deps.faults.clear();
        return json({ ok: true });
      }
      if (req.method === "POST" || req.method === "PATCH") {
        const body = JSON.parse(new TextDecoder().decode(await readBody(req)) || "{}");
        const parsed = parseFaults(body, "POST /__sim/faults");
        const add = req.method === "PATCH" || url.searchParams.get("mode") === "add";
        if (add) deps.faults.add(parsed);
        else deps.faults.set(parsed);
        const seeded = deps.seed(parsed.seed ?? []);
        return json({ ok: true, seeded: seeded.length });
      }
    }
    if (path === "/seed" && req.method === "POST") {
      const body = JSON.parse(new TextDecoder().decode(await readBody(req)) || "[]");
      const objects = Array.isArray(body)
        ? body
        : isRec(body) && Array.isArray(body.items)
        ? body.items
        : [body];
      return json({ items: deps.seed(objects) }, 201);
    }
    if (path === "/compact" && req.method === "POST") {
      api.store.compact();
      return json({ ok: true, resourceVersion: String(api.store.resourceVersion) });
    }
    if (path === "/traffic/productpage" && req.method === "POST" && deps.productpageTraffic) {
      const namespace = url.searchParams.get("namespace") ?? undefined;
      return json({ ok: true, connections: deps.productpageTraffic(namespace) });
    }
    if (path === "/health") {
      return json({ ok: true, resourceVersion: String(api.store.resourceVersion) });
    }
    throw notFoundPath();
  }

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
