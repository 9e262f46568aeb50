/**
 * Reading ztunnel: its pods, the workloads of its admin `config_dump` (port
 * 15000, localhost only: read through a port-forward) and the counters of
 * its Prometheus endpoint (port 15020, read through the pod proxy).
 */
import type { CheckContext } from "../context.ts";
import { POD } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";

export const ZTUNNEL_ADMIN_PORT = 15000;
export const ZTUNNEL_STATS_PORT = 15020;
export const REDIRECTION_ANNOTATION = "ambient.istio.io/redirection";
export const DATAPLANE_MODE = "istio.io/dataplane-mode";
export const USE_WAYPOINT = "istio.io/use-waypoint";

/** One workload as ztunnel knows it. */
export interface ZtunnelWorkload {
  name: string;
  namespace: string;
  workloadName: string;
  protocol: string;
  node: string;
  /** `namespace/address` of its waypoint, when it has one */
  waypoint?: string;
}

/** ztunnel's running pods by node name. */
export async function ztunnelPods(ctx: CheckContext): Promise<Map<string, string>> {
  const pods = await ctx.list(POD, { namespace: ISTIO_NAMESPACE, labelSelector: "app=ztunnel" });
  const out = new Map<string, string>();
  for (const p of pods) {
    const meta = (p.metadata ?? {}) as Json;
    const node = String((p.spec as Json | undefined)?.nodeName ?? "");
    if (meta.deletionTimestamp || !node) continue;
    if ((p.status as Json | undefined)?.phase !== "Running") continue;
    out.set(node, String(meta.name));
  }
  return out;
}

/** The workloads in a `config_dump` (a list in ztunnel 1.2x, a map by uid before). */
export function parseConfigDump(text: string): ZtunnelWorkload[] {
  const dump = JSON.parse(text) as Json;
  const raw = dump.workloads;
  const items = (Array.isArray(raw) ? raw : Object.values((raw ?? {}) as Json)) as Json[];
  return items.map((w) => {
    const waypoint = w.waypoint as Json | undefined;
    const destination = waypoint?.destination ?? (waypoint?.address as Json | undefined)?.address;
    return {
      name: String(w.name ?? ""),
      namespace: String(w.namespace ?? ""),
      workloadName: String(w.workloadName ?? w.workload_name ?? ""),
      protocol: String(w.protocol ?? ""),
      node: String(w.node ?? ""),
      ...(destination ? { waypoint: String(destination) } : {}),
    };
  });
}

/** The workloads ztunnel on `node` knows, through a port-forward to its admin port. */
export async function ztunnelWorkloads(
  ctx: CheckContext,
  pod: string,
): Promise<ZtunnelWorkload[]> {
  const r = await ctx.portForwardGet(
    { namespace: ISTIO_NAMESPACE, pod, port: ZTUNNEL_ADMIN_PORT },
    "/config_dump",
  );
  if (r.status !== 200) {
    throw new Error(`Cannot read ztunnel's config_dump from ${pod}: HTTP ${r.status}`);
  }
  return parseConfigDump(r.body);
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of `metric` in Prometheus text (labels unescaped). */
export function parsePrometheus(text: string, metric: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Every ztunnel's `istio_tcp_connections_opened_total` samples, through the pod proxy. */
export async function ztunnelConnections(
  ctx: CheckContext,
  pods: Iterable<string>,
): Promise<Sample[]> {
  const texts = await Promise.all(
    [...pods].map((pod) =>
      ctx.podProxyText(
        { namespace: ISTIO_NAMESPACE, pod, port: ZTUNNEL_STATS_PORT },
        "/stats/prometheus",
      )
    ),
  );
  return texts.flatMap((t) => parsePrometheus(t, "istio_tcp_connections_opened_total"));
}
