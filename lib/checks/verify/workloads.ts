/**
 * The mesh's workloads: istiod ready, and istio-cni and ztunnel ready on
 * every node their pods should run on (taints, tolerations, nodeSelector and
 * required node affinity decide which). When one is not ready the detail
 * says why: its worst pod and last event.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { EVENT, NODE, POD } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import type { ObjectRef } from "../../plan/plan.ts";
import { summarizeUnready } from "../../run/diagnose.ts";
import { computeStatus, selectorMatches } from "../../run/kstatus.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";
import { labelsOf, plural } from "./_helpers.ts";

export const istiod: CheckDef = { id: "istiod", title: "istiod", run: checkIstiod };

export const istioCni: CheckDef = {
  id: "istio-cni",
  title: "istio-cni",
  run: (ctx) => checkDaemonSet(ctx, "istio-cni-node"),
};

export const ztunnel: CheckDef = {
  id: "ztunnel",
  title: "ztunnel",
  run: (ctx) => checkDaemonSet(ctx, "ztunnel"),
};

/** A node's taint or a pod's toleration, as in the API. */
interface Taint {
  key?: string;
  value?: string;
  effect?: string;
}
interface Toleration extends Taint {
  operator?: string;
}

/** Tolerations the DaemonSet controller adds to every DaemonSet pod. */
const DAEMONSET_TOLERATIONS: readonly Toleration[] = [
  "node.kubernetes.io/not-ready",
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/disk-pressure",
  "node.kubernetes.io/memory-pressure",
  "node.kubernetes.io/pid-pressure",
  "node.kubernetes.io/unschedulable",
  "node.kubernetes.io/network-unavailable",
].map((key) => ({ key, operator: "Exists" }));

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === "Exists";
  if (t.key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/**
 * The nodes a DaemonSet's pods should run on: not cordoned, every
 * NoSchedule/NoExecute taint tolerated, nodeSelector and required node
 * affinity matched.
 */
export function eligibleNodes(daemonSet: Json, nodes: readonly Json[]): Json[] {
  const podSpec = (((daemonSet.spec as Json | undefined)?.template as Json | undefined)?.spec ??
    {}) as Json;
  const tolerations = [
    ...((podSpec.tolerations ?? []) as Toleration[]),
    ...DAEMONSET_TOLERATIONS,
  ];
  const nodeSelector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
  const terms = ((((podSpec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)
    ?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)
    ?.nodeSelectorTerms ?? []) as Json[];
  return nodes.filter((node) => {
    const spec = (node.spec ?? {}) as Json;
    if (spec.unschedulable === true) return false;
    const taints = ((spec.taints ?? []) as Taint[]).filter((t) =>
      t.effect === "NoSchedule" || t.effect === "NoExecute"
    );
    if (!taints.every((taint) => tolerations.some((t) => tolerates(t, taint)))) return false;
    const labels = labelsOf(node);
    if (Object.entries(nodeSelector).some(([k, v]) => labels[k] !== v)) return false;
    if (terms.length === 0) return true;
    return terms.some((term) =>
      Array.isArray(term.matchExpressions) &&
      selectorMatches({ matchExpressions: term.matchExpressions }, labels)
    );
  });
}

function checkIstiod(ctx: CheckContext): Promise<CheckOutcome> {
  return deploymentCheck(ctx, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: ISTIO_NAMESPACE,
    name: "istiod",
  }, "istio:istiod");
}

async function checkDaemonSet(
  ctx: CheckContext,
  name: "istio-cni-node" | "ztunnel",
): Promise<CheckOutcome> {
  const ref: ObjectRef = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    namespace: ISTIO_NAMESPACE,
    name,
  };
  const task = name === "ztunnel" ? "istio:ztunnel" : "istio:cni";
  const where = `DaemonSet ${ISTIO_NAMESPACE}/${name}`;
  const [ds, nodes] = await Promise.all([ctx.get(ref), ctx.list(NODE)]);
  if (!ds) {
    return { status: "fail", detail: `${where} not found`, hint: `run \`deno task ${task}\`` };
  }
  const eligible = eligibleNodes(ds, nodes);
  const st = (ds.status ?? {}) as Json;
  const desired = Number(st.desiredNumberScheduled ?? 0);
  const ready = Number(st.numberReady ?? 0);
  if (desired < eligible.length) {
    const pods = (await ctx.list(POD, { namespace: ISTIO_NAMESPACE })).filter((p) =>
      ownedBy(p, ds)
    );
    const covered = new Set(pods.map((p) => String((p.spec as Json | undefined)?.nodeName)));
    const missing = eligible.map((n) => String((n.metadata as Json).name))
      .filter((n) => !covered.has(n));
    return {
      status: "fail",
      detail: `${where} is scheduled on ${desired} of ${eligible.length} schedulable nodes${
        missing.length > 0 ? ` (no pod on ${missing.slice(0, 5).join(", ")})` : ""
      }`,
      hint: `check the nodes' taints and the DaemonSet's tolerations and nodeSelector: ` +
        `kubectl -n ${ISTIO_NAMESPACE} describe ds/${name}`,
    };
  }
  const status = computeStatus(ds);
  if (ready < desired || desired === 0 || status.status !== "Current") {
    const why = desired === 0 ? "no node to run on" : await whyUnready(
      ctx,
      ref,
      status.status === "Current" ? { ...status, status: "InProgress" } : status,
    );
    return {
      status: "fail",
      detail: `${where} ready on ${ready} of ${desired} nodes: ${why}`,
      hint: `kubectl -n ${ISTIO_NAMESPACE} describe ds/${name}`,
    };
  }
  return {
    status: "pass",
    detail: `${where} ready on ${ready} of ${eligible.length} schedulable ${
      plural(eligible.length, "node")
    }`,
  };
}

/** A Deployment exists and is ready; else why not, and the task that installs it. */
export async function deploymentCheck(
  ctx: CheckContext,
  ref: ObjectRef,
  task: string,
): Promise<CheckOutcome> {
  const obj = await ctx.get(ref);
  const where = `Deployment ${ref.namespace}/${ref.name}`;
  if (!obj) {
    return { status: "fail", detail: `${where} not found`, hint: `run \`deno task ${task}\`` };
  }
  const status = computeStatus(obj);
  if (status.status === "Current") {
    const ready = Number((obj.status as Json | undefined)?.readyReplicas ?? 0);
    return { status: "pass", detail: `${where} ready (${ready} ${plural(ready, "replica")})` };
  }
  return {
    status: "fail",
    detail: `${where} not ready: ${await whyUnready(ctx, ref, status)}`,
    hint: `kubectl -n ${ref.namespace} describe deploy/${ref.name}`,
  };
}

/** One line on why a workload is not ready: its worst pod and last event. */
async function whyUnready(
  ctx: CheckContext,
  ref: ObjectRef,
  status: ReturnType<typeof computeStatus>,
): Promise<string> {
  const ns = ref.namespace ?? "default";
  const [pods, events] = await Promise.all([
    ctx.list(POD, { namespace: ns }),
    namespaceEvents(ctx, ns),
  ]);
  return summarizeUnready({
    objects: [{ ref, status: status.status, message: status.message }],
    pods,
    events: events as Parameters<typeof summarizeUnready>[0]["events"],
  });
}

function namespaceEvents(ctx: CheckContext, namespace: string): Promise<Json[]> {
  // diagnosis is best effort
  return ctx.list(EVENT, { namespace }).catch(() => []);
}

function ownedBy(pod: Json, owner: Json): boolean {
  const refs = ((pod.metadata as Json | undefined)?.ownerReferences ?? []) as Json[];
  const meta = (owner.metadata ?? {}) as Json;
  return refs.some((r) =>
    (meta.uid && r.uid === meta.uid) || (r.kind === owner.kind && r.name === meta.name)
  );
}
