/**
 * Enrolment in the mesh: bookinfo's namespace carries
 * `istio.io/dataplane-mode=ambient` (`ambient-namespaces`), and every pod of
 * every ambient namespace is captured by istio-cni and on HBONE in the view
 * of the ztunnel on its node, with its waypoint where one is configured
 * (`mesh-hbone`; ztunnel's config_dump is read through a port-forward, as
 * istioctl does, since its admin port listens on localhost only).
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { POD } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";
import { labelsOf, plural } from "./_helpers.ts";
import {
  DATAPLANE_MODE,
  REDIRECTION_ANNOTATION,
  USE_WAYPOINT,
  ztunnelPods,
  type ZtunnelWorkload,
  ztunnelWorkloads,
} from "./_ztunnel.ts";

const NAMESPACE = { apiVersion: "v1", kind: "Namespace" };

export const ambientNamespaces: CheckDef = {
  id: "ambient-namespaces",
  title: "ambient namespaces",
  run: checkAmbientNamespaces,
};

async function checkAmbientNamespaces(ctx: CheckContext): Promise<CheckOutcome> {
  const namespaces = [ctx.config.bookinfo.namespace];
  const problems: string[] = [];
  let missing = false;
  for (const name of namespaces) {
    const ns = await ctx.get({ apiVersion: "v1", kind: "Namespace", name });
    if (!ns) {
      problems.push(`namespace ${name} not found`);
      missing = true;
      continue;
    }
    const value = labelsOf(ns)["istio.io/dataplane-mode"];
    if (value !== "ambient") {
      problems.push(
        `namespace ${name} has ${
          value === undefined
            ? "no istio.io/dataplane-mode label"
            : `istio.io/dataplane-mode=${value}`
        }`,
      );
    }
  }
  if (problems.length > 0) {
    return {
      status: "fail",
      detail: problems.join("; "),
      hint: missing
        ? "run `deno task bookinfo`"
        : `kubectl label namespace ${namespaces[0]} istio.io/dataplane-mode=ambient ` +
          "(or re-run `deno task bookinfo`)",
    };
  }
  return {
    status: "pass",
    detail: `${namespaces.join(", ")} ${namespaces.length === 1 ? "carries" : "carry"} ` +
      "istio.io/dataplane-mode=ambient",
  };
}

export const meshHbone: CheckDef = {
  id: "mesh-hbone",
  title: "mesh HBONE",
  run: checkMeshHbone,
};

/** The namespaces enrolled in ambient, bookinfo's always included. */
export async function ambientNamespaceNames(ctx: CheckContext): Promise<string[]> {
  const labelled = await ctx.list(NAMESPACE, { labelSelector: `${DATAPLANE_MODE}=ambient` });
  const names = new Set(labelled.map((n) => String((n.metadata as Json).name)));
  names.add(ctx.config.bookinfo.namespace);
  return [...names].sort();
}

/** Where a pod should send its traffic: its own label, else its namespace's, else none. */
function waypointFor(pod: Json, namespace: Json | undefined): string | undefined {
  const name = labelsOf(pod)[USE_WAYPOINT] ??
    (namespace ? labelsOf(namespace)[USE_WAYPOINT] : undefined);
  return name && name !== "none" ? name : undefined;
}

async function checkMeshHbone(ctx: CheckContext): Promise<CheckOutcome> {
  const namespaces = await ambientNamespaceNames(ctx);
  const ztunnels = await ztunnelPods(ctx);
  const rows: Record<string, string>[] = [];
  const problems: { text: string; hint: string }[] = [];
  const views = new Map<string, Promise<ZtunnelWorkload[]>>();
  for (const ns of namespaces) {
    const nsObj = await ctx.get({ apiVersion: "v1", kind: "Namespace", name: ns });
    const enrolled = nsObj !== undefined && labelsOf(nsObj)[DATAPLANE_MODE] === "ambient";
    const pods = (await ctx.list(POD, { namespace: ns })).filter((p) => {
      const phase = (p.status as Json | undefined)?.phase;
      return !(p.metadata as Json).deletionTimestamp && phase !== "Succeeded" &&
        phase !== "Failed" && labelsOf(p)[DATAPLANE_MODE] !== "none";
    });
    for (const pod of pods) {
      const meta = pod.metadata as Json;
      const name = String(meta.name);
      const node = String((pod.spec as Json | undefined)?.nodeName ?? "");
      const annotations = (meta.annotations ?? {}) as Record<string, string>;
      const waypoint = waypointFor(pod, nsObj);
      const row = { namespace: ns, workload: name, node, protocol: "", waypoint: "" };
      rows.push(row);
      if (!enrolled) {
        problems.push({
          text: `${ns}/${name}: namespace ${ns} is not labelled ${DATAPLANE_MODE}=ambient`,
          hint: `kubectl label namespace ${ns} ${DATAPLANE_MODE}=ambient`,
        });
        continue;
      }
      if (annotations[REDIRECTION_ANNOTATION] !== "enabled") {
        problems.push({
          text: `${ns}/${name}: not captured by istio-cni (no ${REDIRECTION_ANNOTATION}: enabled)`,
          hint: `check istio-cni on ${node || "its node"} ` +
            `(kubectl -n ${ISTIO_NAMESPACE} logs ds/istio-cni-node), then restart the pod ` +
            `(kubectl -n ${ns} delete pod ${name})`,
        });
        continue;
      }
      const zt = ztunnels.get(node);
      if (!zt) {
        problems.push({
          text: `${ns}/${name}: no running ztunnel on node ${node || "(unscheduled)"}`,
          hint: `kubectl -n ${ISTIO_NAMESPACE} get pods -l app=ztunnel -o wide`,
        });
        continue;
      }
      if (!views.has(zt)) views.set(zt, ztunnelWorkloads(ctx, zt));
      const known = (await views.get(zt)!).find((w) => w.namespace === ns && w.name === name);
      if (!known) {
        problems.push({
          text: `${ns}/${name}: unknown to ztunnel ${zt} on ${node}`,
          hint: `kubectl -n ${ISTIO_NAMESPACE} logs ${zt} (is istiod reachable?)`,
        });
        continue;
      }
      row.protocol = known.protocol;
      row.waypoint = known.waypoint ?? "";
      if (known.protocol !== "HBONE") {
        problems.push({
          text: `${ns}/${name}: plaintext in ztunnel ${zt} (protocol ${known.protocol || "none"})`,
          hint: `kubectl -n ${ns} delete pod ${name} so istio-cni captures it again, and ` +
            `check kubectl -n ${ISTIO_NAMESPACE} logs ds/istio-cni-node`,
        });
        continue;
      }
      if (waypoint && !known.waypoint) {
        problems.push({
          text: `${ns}/${name}: ${USE_WAYPOINT}=${waypoint}, but ztunnel knows no waypoint for it`,
          hint: `check the waypoint is programmed: kubectl -n ${ns} get gateway ${waypoint}`,
        });
      }
    }
  }
  if (rows.length === 0) {
    return {
      status: "fail",
      detail: `no pods in ${namespaces.join(", ")}`,
      hint: "run `deno task bookinfo`",
      table: rows,
    };
  }
  if (problems.length > 0) {
    return {
      status: "fail",
      detail: `${problems.length} of ${rows.length} ${plural(rows.length, "pod")} not on HBONE: ` +
        problems.slice(0, 3).map((p) => p.text).join("; ") +
        (problems.length > 3 ? `; and ${problems.length - 3} more` : ""),
      hint: problems[0].hint,
      table: rows,
    };
  }
  const withWaypoint = rows.filter((r) => r.waypoint !== "").length;
  return {
    status: "pass",
    detail: `${rows.length} ${plural(rows.length, "pod")} in ${namespaces.join(", ")} captured ` +
      `and on HBONE in ztunnel${withWaypoint > 0 ? ` (${withWaypoint} through a waypoint)` : ""}`,
    table: rows,
  };
}
