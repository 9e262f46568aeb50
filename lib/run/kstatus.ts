/**
 * Readiness as a pure predicate over one object, following kstatus
 * (`cli-utils` `status/core.go` and `generic.go`, as described in
 * `kube-sim-notes.md` section 2): `(obj) => { status, message }`.
 *
 * Nothing here talks to a cluster; the clock is injected where a rule needs
 * it (a Pod that stays unschedulable for more than 15 s).
 */
import {
  type ComputeOptions,
  conditionOf,
  conditionsOf,
  get,
  isRecord,
  type Json,
  kindOf,
  type StatusResult,
  str,
} from "./_kstatus_fields.ts";
import { KIND_RULES } from "./_kstatus_workloads.ts";

export type { ComputeOptions, Condition, StatusResult } from "./_kstatus_fields.ts";
export { conditionsOf } from "./_kstatus_fields.ts";
export { SCHEDULE_WINDOW_MS } from "./_kstatus_workloads.ts";
export { type PodProblem, podProblems, type PodReport } from "./pod_problems.ts";

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
  const rule = KIND_RULES[groupKind(obj)];
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

function isUnschedulable(pod: Json): boolean {
  const scheduled = conditionOf(pod, "PodScheduled");
  return scheduled?.status === "False" && scheduled.reason === "Unschedulable";
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
