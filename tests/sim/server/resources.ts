/**
 * Resource paths of the simulated API server: the route a path names (type,
 * namespace, name, subresource) and what each method does there (list,
 * watch, get, create, update, patch, delete, status, finalize, scale, log).
 *
 * @module
 */

import { typeKey } from "../api/mod.ts";
import { type KubeObject, type Rec, rec, StatusError } from "../object.ts";
import { jsonPatch, mergePatch } from "../patch/mod.ts";
import { podLog } from "../operators.ts";
import { isProtobuf } from "../protobuf.ts";
import type { ResourceType } from "../resources.ts";
import { parseSelectors } from "../selectors.ts";
import { toTable, wantsTable } from "../table.ts";
import {
  boolParam,
  type HandlerDeps,
  json,
  JSON_TYPE,
  notFoundPath,
  parseBody,
  patchTypeOf,
  readBody,
} from "./_http.ts";

/** A resource path, parsed. */
export interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** The route of a resource path, and its handler. */
export interface ResourceRoutes {
  route(group: string, version: string, rest: string[]): Route;
  resource(req: Request, url: URL, r: Route, ua: string): Promise<Response>;
}

/** Builds the handler of resource paths. */
export function resourceRoutes(deps: HandlerDeps): ResourceRoutes {
  const { api } = deps;

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
      const pod = api.get(type, namespace, name) as KubeObject;
      const tail = Number(params.get("tailLines") ?? NaN);
      const lines = podLog(pod, api);
      const shown = Number.isInteger(tail) && tail >= 0
        ? lines.slice(Math.max(0, lines.length - tail))
        : lines;
      const text = shown.map((l) => `${l}\n`).join("");
      return new Response(text, { status: 200, headers: { "content-type": "text/plain" } });
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

  return { route, resource };
}
