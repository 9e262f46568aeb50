/**
 * The plan: pure data that every command consumes.
 *
 * A target compiles to tasks; a task compiles to steps. Steps are plain
 * objects (no functions, no secrets), so that `plan`, `render`, `run` and
 * `down` all read the same thing and a test can compare it byte for byte.
 */

/** A reference to one Kubernetes object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /**
   * An object that an operator creates (not applied by meshup): the
   * operator's workload and the resource it makes it from, so that a wait
   * that never sees the object names them.
   */
  madeBy?: { operator: ObjectRef; from: ObjectRef };
}

/** A Kubernetes object as rendered from a template. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where a Helm chart comes from. */
export type ChartSource =
  /** `helm upgrade --install REL CHART --repo URL --version V` */
  | { type: "repo"; repo: string; chart: string; version: string }
  /** `helm upgrade --install REL oci://host/path/CHART --version V` */
  | { type: "oci"; ref: string; version: string }
  /** a chart folder (holds Chart.yaml); digest of its files, so edits re-apply */
  | { type: "dir"; path: string; digest: string }
  /** a packaged chart; digest of the file */
  | { type: "tgz"; path: string; digest: string };

/** A rendered file: a values file or a manifest, as written by `render`. */
export interface RenderedFile {
  /** the template it came from, relative to the project root (or a URL) */
  source: string;
  /** rendered text, deterministic */
  content: string;
}

/** A runtime guard: the step runs only when this holds on the live cluster. */
export type StepGuard =
  /** the CRD exists (e.g. `servicemonitors.monitoring.coreos.com`) */
  | { type: "crd-exists"; crd: string }
  /** a default-deny NetworkPolicy or CiliumNetworkPolicy exists somewhere */
  | { type: "default-deny-exists" };

interface StepBase {
  /** unique inside its task, e.g. `release`, `crds`, `telemetry` */
  id: string;
  /** one line for humans */
  description: string;
  /** skip (with a reason) unless the guard holds at run time */
  when?: StepGuard;
  /** per-step deadline in seconds (else the run's `--timeout`) */
  timeoutSeconds?: number;
}

/** `helm upgrade --install` of one release. */
export interface HelmReleaseStep extends StepBase {
  kind: "helm-release";
  release: string;
  namespace: string;
  createNamespace: boolean;
  chart: ChartSource;
  /** values files, passed in order as `-f` */
  values: RenderedFile[];
  /** workloads the release must bring up; `verify` and diagnosis use them */
  workloads: ObjectRef[];
}

/** Server-side apply of objects under one field manager. */
export interface ApplyStep extends StepBase {
  kind: "apply";
  /** rendered manifests (local templates) */
  manifests: RenderedFile[];
  /** manifests fetched at run time, before any cluster command (bookinfo, Gateway API) */
  remote: RemoteManifest[];
  /** the objects of `manifests`, parsed (remote ones are known only at run time) */
  objects: ObjectRef[];
  /** true when every object is a CustomResourceDefinition: wait for Established */
  crds: boolean;
  /** namespace for objects without one (remote manifests) */
  defaultNamespace?: string;
}

export interface RemoteManifest {
  /** an http(s) URL or a local file path */
  url: string;
}

/** Labels on one object; `null` removes a label. */
export interface LabelStep extends StepBase {
  kind: "label";
  target: ObjectRef;
  labels: Record<string, string | null>;
}

/** A Secret whose values come from the environment at run time. */
export interface SecretStep extends StepBase {
  kind: "secret";
  name: string;
  namespace: string;
  /** key in the Secret -> name of the environment variable holding the value */
  fromEnv: Record<string, string>;
}

/** Wait until objects are ready by kstatus rules. */
export interface WaitStep extends StepBase {
  kind: "wait";
  objects: ObjectRef[];
}

/** A preflight predicate against the live cluster. */
export interface CheckStep extends StepBase {
  kind: "check";
  check: CiliumCheck;
}

/** Cilium's live settings for ambient; with `fix`, upgrade the Cilium release. */
export interface CiliumCheck {
  type: "cilium-config";
  namespace: string;
  configMap: string;
  /** ConfigMap key -> required value */
  expect: Record<string, string>;
  fix: {
    enabled: boolean;
    release: string;
    chart: ChartSource;
    /** helm `--set` pairs applied with `--reuse-values` */
    set: Record<string, string>;
  };
}

/** Delete objects (a `down` of something that `up` never applied). */
export interface DeleteStep extends StepBase {
  kind: "delete";
  objects: ObjectRef[];
}

export type Step =
  | HelmReleaseStep
  | ApplyStep
  | LabelStep
  | SecretStep
  | WaitStep
  | CheckStep
  | DeleteStep;

export type StepKind = Step["kind"];

/** One task of a plan: its deps and its steps, in order. */
export interface PlannedTask {
  id: string;
  description: string;
  deps: string[];
  steps: Step[];
  /** stands for its deps (`up`, `istio:install`); a task merely off for this config has no steps either */
  aggregate?: boolean;
}

/** The whole plan: tasks in a deterministic topological order. */
export interface Plan {
  /** the target asked for */
  target: string;
  /** kube context the plan is for (from config or `--context`), if pinned */
  context?: string;
  tasks: PlannedTask[];
}
