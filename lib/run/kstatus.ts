/**
 * Readiness as a pure predicate over one object, following kstatus
 * (`cli-utils` `status/core.go` and `generic.go`, as described in
 * `kube-sim-notes.md` section 2): `(obj) => { status, message }`.
 *
 * Nothing here talks to a cluster; the clock is injected where a rule needs
 * it (a Pod that stays unschedulable for more than 15 s).
 */
import type { ObjectStatus } from "../output/events.ts";

/** The result of a readiness computation. */
export interface StatusResult {
  status: ObjectStatus;
  message: string;
}

export interface ComputeOptions {
  /** the current time in ms since the epoch (default `Date.now`) */
  now?: () => number;
  /** helm's `--wait-for-jobs`: a Job is Current only once `Complete=True` */
  waitForJobs?: boolean;
}

/** A condition as found in `status.conditions`. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** How long a Pod may stay unschedulable before it counts as Failed. */
export const SCHEDULE_WINDOW_MS = 15_000;

type Json = Record<string, unknown>;
type Rule = (obj: Json, options: ComputeOptions) => StatusResult;

const RULES: Record<string, Rule> = {
  "Service": serviceStatus,
  "Pod": podStatus,
  "Secret": alwaysReady,
  "ConfigMap": alwaysReady,
  "PersistentVolumeClaim": pvcStatus,
  "apps/StatefulSet": statefulSetStatus,
  "apps/DaemonSet": daemonSetStatus,
  "extensions/DaemonSet": daemonSetStatus,
  "apps/Deployment": deploymentStatus,
  "extensions/Deployment": deploymentStatus,
  "apps/ReplicaSet": replicaSetStatus,
  "extensions/ReplicaSet": replicaSetStatus,
  "policy/PodDisruptionBudget": pdbStatus,
  "batch/CronJob": alwaysReady,
  "batch/Job": jobStatus,
  "apiextensions.k8s.io/CustomResourceDefinition": crdStatus,
};

/**
 * Computes the kstatus of one object: the generic checks first
 * (deletion, observed generation, `Reconciling`, `Stalled`), then the rule
 * for its kind, else the generic `Ready` condition.
 */
export function computeStatus(
  obj: Record<string, unknown>,
  options: ComputeOptions = {},
): StatusResult {
  const generic = genericStatus(obj);
  if (generic) return generic;
  const rule = RULES[groupKind(obj)];
  if (rule) return rule(obj, options);
  return readyConditionStatus(obj);
}

/**
 * Computes the status of a StatefulSet or ReplicaSet taking its pods into
 * account: while the owner is InProgress, any of its pods (matched by
 * `spec.selector`) that is Failed makes the owner Failed. Unschedulable and
 * terminating pods are ignored. Other kinds get `computeStatus()`.
 */
export function computeStatusWithPods(
  owner: Record<string, unknown>,
  pods: readonly Record<string, unknown>[],
  options: ComputeOptions = {},
): StatusResult {
  const result = computeStatus(owner, options);
  const key = groupKind(owner);
  const podAware = key === "apps/StatefulSet" || key === "apps/ReplicaSet" ||
    key === "extensions/ReplicaSet";
  if (!podAware || result.status !== "InProgress") return result;
  const selector = get(owner, "spec", "selector");
  const namespace = str(get(owner, "metadata", "namespace"));
  const failed: string[] = [];
  for (const pod of pods) {
    if (str(get(pod, "metadata", "namespace")) !== namespace) continue;
    if (!isRecord(selector) || !selectorMatches(selector, labelsOf(pod))) continue;
    if (get(pod, "metadata", "deletionTimestamp")) continue;
    const podResult = computeStatus(pod, options);
    if (podResult.status !== "Failed" || isUnschedulable(pod)) continue;
    failed.push(`${str(get(pod, "metadata", "name"))}: ${podResult.message}`);
  }
  if (failed.length === 0) return result;
  return { status: "Failed", message: `${failed.length} pods have failed (${failed.join("; ")})` };
}

/**
 * The address of a LoadBalancer Service (first ingress ip, else hostname),
 * or undefined while none is assigned. kstatus ignores it; a gateway does not.
 */
export function loadBalancerAddress(svc: Record<string, unknown>): string | undefined {
  const ingress = get(svc, "status", "loadBalancer", "ingress");
  if (!Array.isArray(ingress)) return undefined;
  for (const entry of ingress) {
    const ip = str(get(entry, "ip"));
    if (ip) return ip;
    const hostname = str(get(entry, "hostname"));
    if (hostname) return hostname;
  }
  return undefined;
}

/** One thing wrong with a pod. */
export interface PodProblem {
  /** `CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `Unschedulable`, `OOMKilled`, ... */
  reason: string;
  /** the kubelet's or scheduler's message, may be empty */
  message: string;
  /** the container concerned, if any */
  container?: string;
  /** exit code of the container's last termination, if known */
  lastExitCode?: number;
}

/** What a pod looks like to someone asking why it is not ready. */
export interface PodReport {
  name: string;
  namespace?: string;
  /** `status.phase`, or `Unknown` */
  phase: string;
  /** condition `Ready=True` */
  ready: boolean;
  /** sum of restart counts over all containers */
  restarts: number;
  /** worst first */
  problems: PodProblem[];
}

/** Waiting reasons that mean a pod will not get better by itself. */
const SEVERE_REASONS = [
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "Unschedulable",
  "OOMKilled",
  "Error",
  "Evicted",
];

/**
 * The problems of one pod: waiting reasons of its (init) containers, a
 * scheduler that cannot place it, a failed phase, plus restart count and
 * ready state. Used by diagnosis, never by the readiness rules.
 */
export function podProblems(pod: Record<string, unknown>): PodReport {
  const problems: PodProblem[] = [];
  const phase = str(get(pod, "status", "phase")) || "Unknown";
  let restarts = 0;
  for (const field of ["initContainerStatuses", "containerStatuses"]) {
    const statuses = get(pod, "status", field);
    if (!Array.isArray(statuses)) continue;
    for (const cs of statuses) {
      restarts += int(get(cs, "restartCount"), 0);
      const container = str(get(cs, "name")) || undefined;
      const lastExit = get(cs, "lastState", "terminated", "exitCode");
      const lastExitCode = typeof lastExit === "number" ? lastExit : undefined;
      const waiting = get(cs, "state", "waiting");
      const terminated = get(cs, "state", "terminated");
      if (isRecord(waiting)) {
        const reason = str(waiting.reason) || "Waiting";
        const problem: PodProblem = { reason, message: str(waiting.message), container };
        if (lastExitCode !== undefined) problem.lastExitCode = lastExitCode;
        problems.push(problem);
      } else if (isRecord(terminated) && int(terminated.exitCode, 0) !== 0) {
        problems.push({
          reason: str(terminated.reason) || "Error",
          message: str(terminated.message),
          container,
          lastExitCode: int(terminated.exitCode, 0),
        });
      }
    }
  }
  const scheduled = conditionOf(pod, "PodScheduled");
  if (scheduled && scheduled.status === "False") {
    problems.push({ reason: scheduled.reason || "Unschedulable", message: scheduled.message });
  }
  if (phase === "Failed") {
    problems.push({
      reason: str(get(pod, "status", "reason")) || "Failed",
      message: str(get(pod, "status", "message")),
    });
  }
  problems.sort((a, b) => severity(a.reason) - severity(b.reason));
  const namespace = str(get(pod, "metadata", "namespace")) || undefined;
  const report: PodReport = {
    name: str(get(pod, "metadata", "name")),
    phase,
    ready: conditionOf(pod, "Ready")?.status === "True",
    restarts,
    problems,
  };
  if (namespace) report.namespace = namespace;
  return report;
}

/** True when a label selector (`matchLabels`, `matchExpressions`) selects these labels. */
export function selectorMatches(
  selector: Record<string, unknown>,
  labels: Record<string, string>,
): boolean {
  const matchLabels = selector.matchLabels;
  const expressions = selector.matchExpressions;
  if (!isRecord(matchLabels) && !Array.isArray(expressions)) return false; // selects nothing
  if (isRecord(matchLabels)) {
    for (const [key, value] of Object.entries(matchLabels)) {
      if (labels[key] !== value) return false;
    }
  }
  if (Array.isArray(expressions)) {
    for (const expression of expressions) {
      const key = str(get(expression, "key"));
      const operator = str(get(expression, "operator"));
      const raw = get(expression, "values");
      const values = Array.isArray(raw) ? raw.map(String) : [];
      const has = Object.hasOwn(labels, key);
      const ok = operator === "In"
        ? has && values.includes(labels[key])
        : operator === "NotIn"
        ? !has || !values.includes(labels[key])
        : operator === "Exists"
        ? has
        : operator === "DoesNotExist"
        ? !has
        : false;
      if (!ok) return false;
    }
  }
  return true;
}

/** All conditions of an object, normalised to strings. */
export function conditionsOf(obj: Record<string, unknown>): Condition[] {
  const raw = get(obj, "status", "conditions");
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((c) => ({
    type: str(c.type),
    status: str(c.status),
    reason: str(c.reason),
    message: str(c.message),
  }));
}

// ---------------------------------------------------------------- generic

function genericStatus(obj: Json): StatusResult | undefined {
  if (str(get(obj, "metadata", "deletionTimestamp")) !== "") {
    return { status: "Terminating", message: "Resource scheduled for deletion" };
  }
  const generation = get(obj, "metadata", "generation");
  const observed = get(obj, "status", "observedGeneration");
  if (typeof generation === "number" && typeof observed === "number" && generation !== observed) {
    return {
      status: "InProgress",
      message: `${kindOf(obj)} generation is ${generation}, ` +
        `but latest observed generation is ${observed}`,
    };
  }
  for (const c of conditionsOf(obj)) {
    if (c.type === "Reconciling" && c.status === "True") {
      return { status: "InProgress", message: c.message || c.reason || "Reconciling" };
    }
    if (c.type === "Stalled" && c.status === "True") {
      return { status: "Failed", message: c.message || c.reason || "Stalled" };
    }
  }
  return undefined;
}

function readyConditionStatus(obj: Json): StatusResult {
  const ready = conditionOf(obj, "Ready");
  if (!ready) return { status: "Current", message: "Resource is current" };
  if (ready.status === "True") return { status: "Current", message: "Resource is Ready" };
  const detail = [ready.reason, ready.message].filter((s) => s !== "").join(": ");
  return {
    status: "InProgress",
    message: `Ready: ${ready.status || "Unknown"}${detail ? ` (${detail})` : ""}`,
  };
}

// ---------------------------------------------------------------- per kind

function alwaysReady(): StatusResult {
  return { status: "Current", message: "Resource is always ready" };
}

function pdbStatus(): StatusResult {
  return { status: "Current", message: "AllowedDisruptions has been computed." };
}

function deploymentStatus(obj: Json): StatusResult {
  // Without progressDeadlineSeconds the controller never sets Progressing.
  let progressing = typeof get(obj, "spec", "progressDeadlineSeconds") !== "number";
  let available = false;
  for (const c of conditionsOf(obj)) {
    if (c.type === "Progressing") {
      if (c.reason === "ProgressDeadlineExceeded") {
        return { status: "Failed", message: "Progress deadline exceeded" };
      }
      if (c.status === "True" && c.reason === "NewReplicaSetAvailable") progressing = true;
    }
    if (c.type === "Available" && c.status === "True") available = true;
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const updated = int(get(obj, "status", "updatedReplicas"), 0);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const availableReplicas = int(get(obj, "status", "availableReplicas"), 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (updated > availableReplicas) return inProgress(`Available: ${availableReplicas}/${updated}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress("ReplicaSet not Available");
  if (!available) return inProgress("Deployment not Available");
  return { status: "Current", message: `Deployment is available. Replicas: ${replicas}` };
}

function daemonSetStatus(obj: Json): StatusResult {
  if (typeof get(obj, "metadata", "generation") !== "number") {
    return inProgress(`${kindOf(obj)} metadata.generation not found`);
  }
  if (typeof get(obj, "status", "observedGeneration") !== "number") {
    return inProgress(`${kindOf(obj)} status.observedGeneration not found`);
  }
  const desired = int(get(obj, "status", "desiredNumberScheduled"), -1);
  const current = int(get(obj, "status", "currentNumberScheduled"), 0);
  const updated = int(get(obj, "status", "updatedNumberScheduled"), 0);
  const available = int(get(obj, "status", "numberAvailable"), 0);
  const ready = int(get(obj, "status", "numberReady"), 0);
  if (desired === -1) return inProgress("Missing .status.desiredNumberScheduled");
  if (desired > current) return inProgress(`Current: ${current}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > available) return inProgress(`Available: ${available}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  return {
    status: "Current",
    message: `All replicas scheduled as expected. Replicas: ${desired}`,
  };
}

function statefulSetStatus(obj: Json): StatusResult {
  if (str(get(obj, "spec", "updateStrategy", "type")) === "OnDelete") {
    return { status: "Current", message: "StatefulSet is using the ondelete update strategy" };
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const current = int(get(obj, "status", "currentReplicas"), 0);
  const updated = int(get(obj, "status", "updatedReplicas"), 0);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const partition = int(get(obj, "spec", "updateStrategy", "rollingUpdate", "partition"), -1);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`);
    return { status: "Current", message: `Partition rollout complete. updated: ${updated}` };
  }
  if (spec > current) return inProgress(`current: ${current}/${spec}`);
  const currentRevision = str(get(obj, "status", "currentRevision"));
  const updateRevision = str(get(obj, "status", "updateRevision"));
  if (currentRevision !== updateRevision) {
    return inProgress("Waiting for updated revision to match current");
  }
  return {
    status: "Current",
    message: `All replicas scheduled as expected. Replicas: ${replicas}`,
  };
}

function replicaSetStatus(obj: Json): StatusResult {
  for (const c of conditionsOf(obj)) {
    if (c.type === "ReplicaFailure" && c.status === "True") {
      return inProgress("Replica Failure condition. Check Pods");
    }
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const available = int(get(obj, "status", "availableReplicas"), 0);
  const labelled = int(get(obj, "status", "fullyLabeledReplicas"), 0);
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress(`Available: ${available}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return { status: "Current", message: `ReplicaSet is available. Replicas: ${replicas}` };
}

function pvcStatus(obj: Json): StatusResult {
  const phase = str(get(obj, "status", "phase")) || "unknown";
  if (phase !== "Bound") return inProgress(`PVC is not Bound. phase: ${phase}`);
  return { status: "Current", message: "PVC is Bound" };
}

function podStatus(obj: Json, options: ComputeOptions): StatusResult {
  const phase = str(get(obj, "status", "phase"));
  switch (phase) {
    case "Succeeded":
      return { status: "Current", message: "Pod has completed successfully" };
    case "Failed":
      return { status: "Current", message: "Pod has completed, but not successfully" };
    case "Running": {
      if (conditionOf(obj, "Ready")?.status === "True") {
        return { status: "Current", message: "Pod is Ready" };
      }
      const looping = crashLoopingContainers(obj);
      if (looping.length > 0) {
        return {
          status: "Failed",
          message: `Containers in CrashLoop state: ${looping.join(",")}`,
        };
      }
      return inProgress("Pod is running but is not Ready");
    }
    case "Pending": {
      const scheduled = conditionOf(obj, "PodScheduled");
      if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
        const created = Date.parse(str(get(obj, "metadata", "creationTimestamp")));
        const now = (options.now ?? Date.now)();
        const detail = scheduled.message ? `: ${scheduled.message}` : "";
        if (Number.isNaN(created) || now - created <= SCHEDULE_WINDOW_MS) {
          return inProgress(`Pod has not been scheduled${detail}`);
        }
        return { status: "Failed", message: `Pod could not be scheduled${detail}` };
      }
      return inProgress("Pod is in the Pending phase");
    }
    case "":
      return inProgress("Pod phase not available");
    default:
      return { status: "Unknown", message: `Unknown pod phase ${phase}` };
  }
}

function jobStatus(obj: Json, options: ComputeOptions): StatusResult {
  const parallelism = int(get(obj, "spec", "parallelism"), 1);
  const completions = int(get(obj, "spec", "completions"), parallelism);
  const succeeded = int(get(obj, "status", "succeeded"), 0);
  const active = int(get(obj, "status", "active"), 0);
  const failed = int(get(obj, "status", "failed"), 0);
  for (const c of conditionsOf(obj)) {
    if (c.status !== "True") continue;
    if (c.type === "Complete") {
      return {
        status: "Current",
        message: `Job Completed. succeeded: ${succeeded}/${completions}`,
      };
    }
    if (c.type === "Failed") {
      return { status: "Failed", message: `Job Failed. failed: ${failed}/${completions}` };
    }
    if (c.type === "Suspended") return { status: "Current", message: "Job is suspended" };
  }
  if (str(get(obj, "status", "startTime")) === "") return inProgress("Job not started");
  const message = `Job in progress. success:${succeeded}, active: ${active}, failed: ${failed}`;
  return options.waitForJobs ? inProgress(message) : { status: "Current", message };
}

function serviceStatus(obj: Json): StatusResult {
  const type = str(get(obj, "spec", "type")) || "ClusterIP";
  if (type === "LoadBalancer" && str(get(obj, "spec", "clusterIP")) === "") {
    return inProgress("ClusterIP not set. Service type: LoadBalancer");
  }
  return { status: "Current", message: "Service is ready" };
}

function crdStatus(obj: Json): StatusResult {
  for (const c of conditionsOf(obj)) {
    if (c.type === "NamesAccepted" && c.status === "False") {
      return { status: "Failed", message: c.message || c.reason || "Names not accepted" };
    }
    if (c.type === "Established") {
      if (c.status === "False" && c.reason !== "Installing") {
        return { status: "Failed", message: c.message || c.reason || "Not established" };
      }
      if (c.status === "True") return { status: "Current", message: "CRD is established" };
    }
  }
  return inProgress("Install in progress");
}

// ---------------------------------------------------------------- helpers

function inProgress(message: string): StatusResult {
  return { status: "InProgress", message };
}

function crashLoopingContainers(obj: Json): string[] {
  const statuses = get(obj, "status", "containerStatuses");
  if (!Array.isArray(statuses)) return [];
  return statuses
    .filter((cs) => str(get(cs, "state", "waiting", "reason")) === "CrashLoopBackOff")
    .map((cs) => str(get(cs, "name")));
}

function isUnschedulable(pod: Json): boolean {
  const scheduled = conditionOf(pod, "PodScheduled");
  return scheduled?.status === "False" && scheduled.reason === "Unschedulable";
}

function severity(reason: string): number {
  const index = SEVERE_REASONS.indexOf(reason);
  return index === -1 ? SEVERE_REASONS.length : index;
}

function conditionOf(obj: Json, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

function labelsOf(obj: Json): Record<string, string> {
  const labels = get(obj, "metadata", "labels");
  if (!isRecord(labels)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) out[key] = String(value);
  return out;
}

/** `group/Kind`, or `Kind` for the core group, as kstatus keys its rules. */
function groupKind(obj: Json): string {
  const apiVersion = str(obj.apiVersion);
  const kind = kindOf(obj);
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? kind : `${apiVersion.slice(0, slash)}/${kind}`;
}

function kindOf(obj: Json): string {
  return str(obj.kind);
}

function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** An integer field, or the fallback when absent or not an integer (as `GetIntField`). */
function int(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) ? value : fallback;
}
