import type { Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";
import { istioLine } from "../lib/config/versions.ts";

/** Kubernetes Gateway API CRDs, standard channel, matched to Istio (errata 3). */
export const gatewayApi: Task = {
  id: "gateway-api",
  description:
    "Gateway API CRDs (standard channel) when waypoints or the gateway-api flavour need them",
  deps: [],
  plan(ctx: PlanContext): Step[] {
    const g = ctx.config.gatewayApi;
    if (!g.needed) return [];
    // the version table says which release the Istio line is built against;
    // a pinned gatewayApi.version that differs from it is shown in the plan
    const line = istioLine(ctx.config.istio.version);
    const differs = line && line.gatewayApi !== g.version
      ? ` (Istio ${line.line} is built against ${line.gatewayApi})`
      : "";
    return [{
      kind: "apply",
      id: "crds",
      description: `Gateway API ${g.version} standard CRDs${differs}`,
      manifests: [],
      remote: [{ url: ctx.remote(g.source, "gatewayApi.source") }],
      objects: [],
      crds: true,
    }];
  },
};
