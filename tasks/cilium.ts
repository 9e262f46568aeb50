import type { Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/** Cilium's live settings for ambient (errata 6), and the probe policy (errata 7). */
export const cilium: Task = {
  id: "cilium",
  description: "Check Cilium's config for ambient; optionally fix it; kubelet probe policy",
  deps: [],
  plan(ctx: PlanContext): Step[] {
    const c = ctx.config.cilium;
    const steps: Step[] = [];
    if (c.mode !== "off") {
      steps.push({
        kind: "check",
        id: "config",
        description: c.mode === "fix"
          ? `ConfigMap ${c.namespace}/cilium-config allows ambient; else upgrade release "${c.release}" with --reuse-values`
          : `ConfigMap ${c.namespace}/cilium-config allows ambient`,
        check: {
          type: "cilium-config",
          namespace: c.namespace,
          configMap: "cilium-config",
          expect: { "bpf-lb-sock-hostns-only": "true", "cni-exclusive": "false" },
          fix: {
            enabled: c.mode === "fix",
            release: c.release,
            // version "" = keep the installed chart version
            chart: c.mode === "fix"
              ? ctx.chart(c.charts, { name: "cilium", version: "" }, "cilium.charts")
              : { type: "repo", repo: c.charts, chart: "cilium", version: "" },
            set: { "socketLB.hostNamespaceOnly": "true", "cni.exclusive": "false" },
          },
        },
      });
    }
    if (c.probePolicy !== "off") {
      const { file, objects } = ctx.manifest("cilium-probe-policy");
      steps.push({
        kind: "apply",
        id: "probe-policy",
        description: "CiliumClusterwideNetworkPolicy allow-ambient-hostprobes",
        manifests: [file],
        remote: [],
        objects,
        crds: false,
        ...(c.probePolicy === "auto" ? { when: { type: "default-deny-exists" } as const } : {}),
      });
    }
    return steps;
  },
};
