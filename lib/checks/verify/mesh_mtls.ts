/**
 * `mesh-mtls`: bookinfo's traffic goes over mutual TLS. ztunnel's counters
 * (`istio_tcp_connections_opened_total` with
 * `connection_security_policy="mutual_tls"`, port 15020 through the pod
 * proxy) are read before and after one request to `/productpage`; they are
 * cumulative, so the proof is their increase on productpage's connections to
 * details and reviews, through the waypoint where one is configured.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { productpage, type ProductpageOptions } from "./http.ts";
import { labelsOf } from "./_helpers.ts";
import { type Sample, USE_WAYPOINT, ztunnelConnections, ztunnelPods } from "./_ztunnel.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";

export const meshMtls: CheckDef<ProductpageOptions> = {
  id: "mesh-mtls",
  title: "mesh mTLS",
  run: checkMeshMtls,
};

/** A hop whose counters must grow: source and destination workload name prefixes. */
interface Hop {
  from: string;
  to: string;
}

/** Counters by `policy|source|destination` (one reporter only, so nothing counts twice). */
function totals(samples: readonly Sample[], namespace: string): Map<string, number> {
  const reporters = new Set(samples.map((s) => s.labels.reporter));
  const reporter = reporters.has("destination") ? "destination" : undefined;
  const out = new Map<string, number>();
  for (const s of samples) {
    if (reporter && s.labels.reporter !== reporter) continue;
    if ((s.labels.destination_workload_namespace ?? namespace) !== namespace) continue;
    const key = [
      s.labels.connection_security_policy ?? "",
      s.labels.source_workload ?? "",
      s.labels.destination_workload ?? "",
    ].join("|");
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** How much the counters of one hop under one policy grew. */
function increase(
  before: Map<string, number>,
  after: Map<string, number>,
  hop: Hop,
  policy: string,
): number {
  let sum = 0;
  for (const [key, value] of after) {
    const [p, from, to] = key.split("|");
    if (p !== policy || !from.startsWith(hop.from) || !to.startsWith(hop.to)) continue;
    sum += value - (before.get(key) ?? 0);
  }
  return sum;
}

async function checkMeshMtls(ctx: CheckContext<ProductpageOptions>): Promise<CheckOutcome> {
  const ns = ctx.config.bookinfo.namespace;
  const ztunnels = [...(await ztunnelPods(ctx)).values()];
  if (ztunnels.length === 0) {
    return {
      status: "fail",
      detail: `no running ztunnel pod in ${ISTIO_NAMESPACE}`,
      hint: "run `deno task istio:ztunnel`",
    };
  }
  const nsObj = await ctx.get({ apiVersion: "v1", kind: "Namespace", name: ns });
  const waypoint = nsObj ? labelsOf(nsObj)[USE_WAYPOINT] : undefined;
  const hops: Hop[] = waypoint && waypoint !== "none"
    ? [
      { from: "productpage", to: waypoint },
      { from: waypoint, to: "details" },
      { from: waypoint, to: "reviews" },
    ]
    : [{ from: "productpage", to: "details" }, { from: "productpage", to: "reviews" }];
  const before = totals(await ztunnelConnections(ctx, ztunnels), ns);
  const request = await productpage.run(ctx);
  if (request.status === "fail") {
    return {
      status: "fail",
      detail: `no request to measure: ${request.detail}`,
      hint: request.hint,
    };
  }
  const after = totals(await ztunnelConnections(ctx, ztunnels), ns);
  const missing: string[] = [];
  const plaintext: string[] = [];
  const seen: string[] = [];
  for (const hop of hops) {
    const name = `${hop.from} -> ${hop.to}`;
    const mtls = increase(before, after, hop, "mutual_tls");
    if (mtls > 0) {
      seen.push(`${name} +${mtls}`);
      continue;
    }
    const other = [...new Set([...after.keys()].map((k) => k.split("|")[0]))]
      .filter((p) => p !== "mutual_tls")
      .reduce((n, p) => n + increase(before, after, hop, p), 0);
    (other > 0 ? plaintext : missing).push(name);
  }
  const where = `ztunnel's istio_tcp_connections_opened_total in ${ns}`;
  if (plaintext.length > 0) {
    return {
      status: "fail",
      detail: `${where}: ${plaintext.join(", ")} grew without mutual_tls (plaintext)`,
      hint: `both ends must be captured: see mesh-hbone, and kubectl label namespace ${ns} ` +
        "istio.io/dataplane-mode=ambient",
    };
  }
  if (missing.length > 0) {
    return {
      status: "fail",
      detail: `${where}: no new mutual_tls connection for ${missing.join(", ")} ` +
        "after a request to /productpage",
      hint: `the traffic bypasses ztunnel: check mesh-hbone, then kubectl -n ${ISTIO_NAMESPACE} ` +
        `logs ${ztunnels[0]}`,
    };
  }
  return { status: "pass", detail: `${where}: mutual_tls ${seen.join(", ")}` };
}
