import type { HelmReleaseStep, ObjectRef, Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";
import { ISTIO_NAMESPACE } from "../lib/config/vars.ts";

function istioRelease(
  ctx: PlanContext,
  chart: string,
  release: string,
  values: string[],
  workloads: ObjectRef[],
): HelmReleaseStep {
  const version = ctx.config.istio.version;
  return {
    kind: "helm-release",
    id: "release",
    description: `helm release ${release} (istio/${chart} ${version})`,
    release,
    namespace: ISTIO_NAMESPACE,
    createNamespace: true,
    chart: ctx.chart(ctx.config.istio.charts, { name: chart, version }, "istio.charts"),
    values: values.map((v) => ctx.values(v)),
    workloads,
  };
}

/** Workload names are fixed whatever the release names (errata 5). */
const ns = ISTIO_NAMESPACE;

export const istioBase: Task = {
  id: "istio:base",
  description: "Istio base chart: CRDs and cluster-wide resources",
  deps: ["cilium"],
  plan: (ctx) => [istioRelease(ctx, "base", "istio-base", ["istio-base"], [])],
};

export const istioCni: Task = {
  id: "istio:cni",
  description: "Istio CNI node agent, profile ambient",
  deps: ["istio:base"],
  plan: (ctx) => [
    istioRelease(
      ctx,
      "cni",
      "istio-cni",
      ctx.config.istio.platform === "k3s" ? ["istio-cni", "istio-cni-k3s"] : ["istio-cni"],
      [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "istio-cni-node", namespace: ns }],
    ),
  ],
};

export const istioIstiod: Task = {
  id: "istio:istiod",
  description: "istiod control plane, profile ambient, tracing provider when tracing is on",
  deps: ["istio:base"],
  plan: (ctx) => [
    istioRelease(
      ctx,
      "istiod",
      "istiod",
      ctx.config.telemetry.tracing ? ["istiod", "istiod-tracing"] : ["istiod"],
      [{ apiVersion: "apps/v1", kind: "Deployment", name: "istiod", namespace: ns }],
    ),
  ],
};

export const istioZtunnel: Task = {
  id: "istio:ztunnel",
  description: "ztunnel node proxy, after cni and istiod",
  deps: ["istio:cni", "istio:istiod"],
  plan: (ctx) => [
    istioRelease(ctx, "ztunnel", "ztunnel", ["ztunnel"], [
      { apiVersion: "apps/v1", kind: "DaemonSet", name: "ztunnel", namespace: ns },
    ]),
  ],
};

export const istioInstall: Task = {
  id: "istio:install",
  description: "Istio in ambient mode: base, cni, istiod, ztunnel",
  deps: ["istio:base", "istio:cni", "istio:istiod", "istio:ztunnel"],
  aggregate: true,
  plan: (): Step[] => [],
};
