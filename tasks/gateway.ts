import type { Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/** The ingress gateway: istio/gateway chart behind a LoadBalancer Service. */
export const gateway: Task = {
  id: "gateway",
  description: "Istio ingress gateway (istio/gateway chart, LoadBalancer)",
  deps: ["istio:istiod"],
  plan(ctx: PlanContext): Step[] {
    const g = ctx.config.gateway;
    const version = ctx.config.istio.version;
    const values = g.loadBalancerIP ? ["gateway", "gateway-loadbalancer-ip"] : ["gateway"];
    return [{
      kind: "helm-release",
      id: "release",
      description: `helm release ${g.release} (istio/gateway ${version}) in ${g.namespace}`,
      release: g.release,
      namespace: g.namespace,
      createNamespace: true,
      chart: ctx.chart(ctx.config.istio.charts, { name: "gateway", version }, "istio.charts"),
      values: values.map((v) => ctx.values(v)),
      workloads: [
        { apiVersion: "apps/v1", kind: "Deployment", name: g.release, namespace: g.namespace },
        { apiVersion: "v1", kind: "Service", name: g.release, namespace: g.namespace },
      ],
    }];
  },
};
