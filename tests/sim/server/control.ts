/**
 * The simulator's `/__sim/*` control endpoints: the request log, faults,
 * seeding, compaction, productpage traffic and health.
 *
 * @module
 */

import { parseFaults } from "../faults.ts";
import { isRec } from "../object.ts";
import { type HandlerDeps, json, notFoundPath, readBody } from "./_http.ts";
import type { RequestFilter } from "./request_log.ts";

/** Builds the handler of `/__sim/*`. */
export function controlEndpoints(deps: HandlerDeps): (req: Request, url: URL) => Promise<Response> {
  const { api, requests } = deps;

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

  return control;
}
