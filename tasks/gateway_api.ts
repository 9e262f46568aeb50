import type { Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/** Kubernetes Gateway API CRDs, standard channel, matched to Istio (errata 3). */
export const gatewayApi: Task = {
  id: "gateway-api",
  description:
    "Gateway API CRDs (standard channel) when waypoints or the gateway-api flavour need them",
  deps: [],
  plan(ctx: PlanContext): Step[] {
    const g = ctx.config.gatewayApi;
    if (!g.needed) return [];
    return [{
      kind: "apply",
      id: "crds",
      description: `Gateway API ${g.version} standard CRDs`,
      manifests: [],
      remote: [{ url: ctx.remote(g.source, "gatewayApi.source") }],
      objects: [],
      crds: true,
    }];
  },
};
