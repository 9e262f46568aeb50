/**
 * The exact helm and kubectl command lines, as argument arrays. `render`
 * prints them and the runner executes them: one builder for both, so what a
 * user reads is what runs. No shell is ever involved.
 */
import { parseAllDocuments, stringify } from "yaml";
import { FIELD_MANAGER, FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import type { ChartSource, HelmReleaseStep, ObjectRef } from "../plan/plan.ts";

/** Which cluster: `--kube-context` for helm, `--context` for kubectl. */
export interface KubeTarget {
  context?: string;
  kubeconfig?: string;
}

export const TASK_LABEL = "meshup.dev/task";
/**
 * On a release revision meshup's upgrade makes: that revision's own number.
 * Helm carries a release's labels over to later revisions, so a pending
 * revision is meshup's only when this label names its number; one that
 * carries an older number was started by another tool.
 */
export const REVISION_LABEL = "meshup.dev/revision";

/** `--kubeconfig` / `--kube-context` flags for helm. */
export function helmTarget(t: KubeTarget): string[] {
  return [
    ...(t.kubeconfig ? ["--kubeconfig", t.kubeconfig] : []),
    ...(t.context ? ["--kube-context", t.context] : []),
  ];
}

/** `--kubeconfig=` / `--context=` flags for kubectl. */
export function kubectlTarget(t: KubeTarget): string[] {
  return [
    ...(t.kubeconfig ? [`--kubeconfig=${t.kubeconfig}`] : []),
    ...(t.context ? [`--context=${t.context}`] : []),
  ];
}

/** chart reference plus `--repo`/`--version` flags */
export function chartArgs(chart: ChartSource, installedVersion?: string): string[] {
  switch (chart.type) {
    case "repo": {
      const version = chart.version || installedVersion;
      return [chart.chart, "--repo", chart.repo, ...(version ? ["--version", version] : [])];
    }
    case "oci": {
      const version = chart.version || installedVersion;
      return [chart.ref, ...(version ? ["--version", version] : [])];
    }
    case "dir":
    case "tgz":
      return [chart.path];
  }
}

export function helmUpgradeArgv(
  step: HelmReleaseStep,
  options: {
    valuesFiles: string[];
    fingerprint: string;
    task: string;
    timeoutSeconds: number;
    target: KubeTarget;
    /** the revision this upgrade makes, when known (a run against the cluster) */
    revision?: number;
  },
): string[] {
  const revision = options.revision === undefined ? "" : `,${REVISION_LABEL}=${options.revision}`;
  return [
    "helm",
    "upgrade",
    "--install",
    step.release,
    ...chartArgs(step.chart),
    "--namespace",
    step.namespace,
    ...(step.createNamespace ? ["--create-namespace"] : []),
    ...options.valuesFiles.flatMap((f) => ["--values", f]),
    "--labels",
    `${FINGERPRINT_KEY}=${options.fingerprint},${TASK_LABEL}=${
      labelValue(options.task)
    }${revision}`,
    "--wait",
    "--timeout",
    `${options.timeoutSeconds}s`,
    ...helmTarget(options.target),
  ];
}

export function helmUninstallArgv(
  release: string,
  options: { namespace: string; timeoutSeconds: number; target: KubeTarget },
): string[] {
  return [
    "helm",
    "uninstall",
    release,
    "--namespace",
    options.namespace,
    "--wait",
    "--timeout",
    `${options.timeoutSeconds}s`,
    ...helmTarget(options.target),
  ];
}

/** Upgrade of an existing release keeping its values (Cilium `--fix`). */
export function helmReuseValuesArgv(
  options: {
    release: string;
    namespace: string;
    chart: ChartSource;
    installedVersion?: string;
    set: Record<string, string>;
    /** `--labels` on the new revision (a record that this upgrade was ours) */
    labels?: Record<string, string>;
    timeoutSeconds: number;
    target: KubeTarget;
  },
): string[] {
  const labels = Object.entries(options.labels ?? {});
  return [
    "helm",
    "upgrade",
    options.release,
    ...chartArgs(options.chart, options.installedVersion),
    "--namespace",
    options.namespace,
    "--reuse-values",
    ...Object.entries(options.set).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
    ...(labels.length
      ? ["--labels", labels.map(([k, v]) => `${k}=${labelValue(v)}`).join(",")]
      : []),
    "--wait",
    "--timeout",
    `${options.timeoutSeconds}s`,
    ...helmTarget(options.target),
  ];
}

/** `kubectl apply --server-side` of a file, or of stdin with `-`. */
export function kubectlApplyArgv(
  file: string,
  options: { target: KubeTarget; namespace?: string },
): string[] {
  return [
    "kubectl",
    "apply",
    "--server-side",
    `--field-manager=${FIELD_MANAGER}`,
    "--force-conflicts",
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    "-f",
    file,
    ...kubectlTarget(options.target),
  ];
}

export function kubectlLabelArgv(
  ref: ObjectRef,
  labels: Record<string, string | null>,
  options: { target: KubeTarget },
): string[] {
  return [
    "kubectl",
    "label",
    resourceArg(ref),
    ...(ref.namespace ? [`--namespace=${ref.namespace}`] : []),
    ...Object.entries(labels).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)),
    "--overwrite",
    ...kubectlTarget(options.target),
  ];
}

export function kubectlDeleteArgv(
  file: string,
  options: { target: KubeTarget; namespace?: string; timeoutSeconds?: number },
): string[] {
  return [
    "kubectl",
    "delete",
    "--ignore-not-found",
    "--wait=true",
    ...(options.timeoutSeconds ? [`--timeout=${options.timeoutSeconds}s`] : []),
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    "-f",
    file,
    ...kubectlTarget(options.target),
  ];
}

/** `kind.group/name` as kubectl takes it, e.g. `namespace/book-info`. */
/** The kubectl resource argument for a kind: `deployment.v1.apps`, `service`. */
export function resourceType(ref: { apiVersion: string; kind: string }): string {
  const [group, version] = ref.apiVersion.includes("/")
    ? ref.apiVersion.split("/")
    : ["", ref.apiVersion];
  return group ? `${ref.kind.toLowerCase()}.${version}.${group}` : ref.kind.toLowerCase();
}

export function resourceArg(ref: ObjectRef): string {
  const group = ref.apiVersion.includes("/") ? ref.apiVersion.split("/")[0] : "";
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ""}/${ref.name}`;
}

/**
 * Adds the fingerprint annotation to every object of a manifest, and the
 * default namespace to namespaced objects without one is left to kubectl.
 */
export function annotateManifest(content: string, fingerprint: string): string {
  return parseAllDocuments(content)
    .map((d) => d.toJS())
    .filter((o) => o !== null && typeof o === "object")
    .map((o) => {
      const obj = o as { metadata?: { annotations?: Record<string, string> } };
      obj.metadata ??= {};
      obj.metadata.annotations = { ...obj.metadata.annotations, [FINGERPRINT_KEY]: fingerprint };
      return stringify(obj, { lineWidth: 0 });
    })
    .join("---\n");
}

/** Quotes argv for display, so a user can paste it into a POSIX shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((
    a,
  ) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'"'"'`)}'`)).join(" ");
}

/** Label values: 63 characters of [A-Za-z0-9._-]. */
export function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 63);
}
