import type { ApplyStep, Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/**
 * Tracing (the provider itself lives in istiod's values) and Prometheus
 * Operator monitors for istiod and ztunnel.
 */
export const telemetry: Task = {
  id: "telemetry",
  description: "Telemetry resource for tracing; ServiceMonitor (istiod) and PodMonitor (ztunnel)",
  deps: ["istio:istiod"],
  plan(ctx: PlanContext): Step[] {
    const t = ctx.config.telemetry;
    const steps: Step[] = [];
    if (t.tracing) {
      steps.push(
        applyStep(
          ctx,
          "tracing",
          "telemetry",
          `Telemetry mesh-default: ${t.samplingPercent}% sampled`,
        ),
      );
    }
    if (t.monitors !== "off") {
      const service = applyStep(
        ctx,
        "istiod-monitor",
        "istiod-servicemonitor",
        "ServiceMonitor istiod",
      );
      const pod = applyStep(ctx, "ztunnel-monitor", "ztunnel-podmonitor", "PodMonitor ztunnel");
      if (t.monitors === "auto") {
        service.when = { type: "crd-exists", crd: "servicemonitors.monitoring.coreos.com" };
        pod.when = { type: "crd-exists", crd: "podmonitors.monitoring.coreos.com" };
      }
      steps.push(service, pod);
    }
    return steps;
  },
};

function applyStep(ctx: PlanContext, id: string, manifest: string, description: string): ApplyStep {
  const { file, objects } = ctx.manifest(manifest);
  return { kind: "apply", id, description, manifests: [file], remote: [], objects, crds: false };
}
