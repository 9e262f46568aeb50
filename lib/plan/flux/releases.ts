/**
 * A HelmRelease (helm.toolkit.fluxcd.io/v2) per `helm-release` step: the
 * chart and version pinned, the values `up` passes (its `-f` files merged
 * in order, as helm merges them), the release name and namespaces `up`
 * uses so that Flux adopts meshup's releases, `dependsOn` from the DAG,
 * remediation, drift detection and the CRD policy.
 */
import { deepMerge } from "../../config/template.ts";
import type { HelmReleaseStep } from "../plan.ts";
import { parseDocs } from "./_yaml.ts";
import { duration, fluxError, type FluxTask, nearestDeps } from "./model.ts";
import { chartName, type ChartRef } from "./sources.ts";

/** Charts that ship a `crds/` folder, where Flux's CRD policy acts. */
const CHARTS_WITH_CRDS_FOLDER = new Set(["kiali-operator"]);

/**
 * What the cluster's controllers rewrite after install, per chart: istiod
 * patches its validating webhooks' `caBundle` and turns `failurePolicy`
 * from Ignore to Fail once it is ready (one webhook per configuration).
 */
const DRIFT_IGNORE: Record<string, unknown[]> = {
  istiod: [{
    paths: ["/webhooks/0/clientConfig/caBundle", "/webhooks/0/failurePolicy"],
    target: { group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration" },
  }],
};

export const REMEDIATION_RETRIES = 3;

/** The `dependsOn` names of each release: the plan's dependencies among releases. */
export function releaseDeps(
  tasks: readonly FluxTask[],
  names: Map<HelmReleaseStep, string>,
): Map<HelmReleaseStep, string[]> {
  const out = new Map<HelmReleaseStep, string[]>();
  for (const t of tasks) {
    const before = nearestDeps(tasks, t, (d) => d.releases.length > 0)
      .flatMap((d) => d.releases.map((r) => names.get(r)!));
    t.releases.forEach((r, i) => {
      out.set(r, i === 0 ? before : [names.get(t.releases[i - 1])!]);
    });
  }
  return out;
}

export function helmRelease(
  step: HelmReleaseStep,
  o: {
    name: string;
    namespace: string;
    chart: ChartRef;
    dependsOn: string[];
    timeoutSeconds: number;
    task: string;
  },
): Record<string, unknown> {
  const chart = chartName(step.chart);
  const crds = CHARTS_WITH_CRDS_FOLDER.has(chart) ? { crds: "CreateReplace" } : {};
  const spec: Record<string, unknown> = {
    interval: "10m",
    releaseName: step.release,
    targetNamespace: step.namespace,
    storageNamespace: step.namespace,
    ...(o.chart.kind === "HelmRepository"
      ? {
        chart: {
          spec: {
            chart: o.chart.chart,
            version: o.chart.version,
            sourceRef: { kind: "HelmRepository", name: o.chart.name, namespace: o.namespace },
          },
        },
      }
      : { chartRef: { kind: "OCIRepository", name: o.chart.name, namespace: o.namespace } }),
    ...(o.dependsOn.length
      ? { dependsOn: o.dependsOn.map((name) => ({ name, namespace: o.namespace })) }
      : {}),
    install: {
      createNamespace: step.createNamespace,
      remediation: { retries: REMEDIATION_RETRIES },
      ...crds,
    },
    upgrade: {
      cleanupOnFail: true,
      remediation: { retries: REMEDIATION_RETRIES, remediateLastFailure: true },
      ...crds,
    },
    driftDetection: {
      mode: "enabled",
      ...(DRIFT_IGNORE[chart] ? { ignore: DRIFT_IGNORE[chart] } : {}),
    },
    timeout: duration(o.timeoutSeconds),
  };
  const values = mergedValues(step, o.task);
  if (Object.keys(values).length) spec.values = values;
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: o.name, namespace: o.namespace },
    spec,
  };
}

/** The step's values files merged in order, as `helm -f a -f b` merges them. */
export function mergedValues(step: HelmReleaseStep, task: string): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const file of step.values) {
    const docs = parseDocs(file.content);
    if (docs.length > 1) {
      throw fluxError(task, `values file "${file.source}" has two documents`, "keep one mapping");
    }
    merged = deepMerge(merged, docs[0] ?? {}) as Record<string, unknown>;
  }
  return merged;
}
