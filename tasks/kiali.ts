import type { Step } from "../lib/plan/plan.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/** Kiali: the operator from Kiali's repository, then the Kiali CR (errata 1, 8). */
export const kiali: Task = {
  id: "kiali",
  description: "kiali-operator chart and the Kiali CR (Prometheus, Grafana, Tempo, ingress, auth)",
  deps: ["istio:istiod"],
  plan(ctx: PlanContext): Step[] {
    const k = ctx.config.kiali;
    if (!k.enabled) return [];
    const steps: Step[] = [{
      kind: "helm-release",
      id: "operator",
      description:
        `helm release kiali-operator (kiali/kiali-operator ${k.version}) in ${k.namespace}`,
      release: "kiali-operator",
      namespace: k.namespace,
      createNamespace: true,
      chart: ctx.chart(k.charts, { name: "kiali-operator", version: k.version }, "kiali.charts"),
      values: [ctx.values("kiali-operator")],
      workloads: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "kiali-operator",
        namespace: k.namespace,
      }],
    }];
    if (k.auth === "openid") {
      steps.push({
        kind: "secret",
        id: "oidc-secret",
        description:
          `Secret ${k.namespace}/kiali key oidc-secret from $${k.openid.clientSecretEnv}`,
        name: "kiali",
        namespace: k.namespace,
        fromEnv: { "oidc-secret": k.openid.clientSecretEnv },
      });
    }
    const { file, objects } = ctx.manifest("kiali", k.auth === "openid" ? ["kiali-openid"] : []);
    steps.push({
      kind: "apply",
      id: "cr",
      description: `Kiali CR ${k.namespace}/kiali (auth ${k.auth})`,
      manifests: [file],
      remote: [],
      objects,
      crds: false,
    }, {
      kind: "wait",
      id: "server",
      description: `Kiali server Deployment ${k.namespace}/kiali ready`,
      objects: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "kiali",
        namespace: k.namespace,
        // kiali-operator makes the server from the Kiali CR: a timeout names them
        madeBy: {
          operator: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "kiali-operator",
            namespace: k.namespace,
          },
          from: {
            apiVersion: "kiali.io/v1alpha1",
            kind: "Kiali",
            name: "kiali",
            namespace: k.namespace,
          },
        },
      }],
    });
    return steps;
  },
};
