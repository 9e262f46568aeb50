/**
 * "Why is this not ready?": pure formatting of unready objects, their pods
 * (waiting reasons, restarts) and the last events, with the commands to run
 * next. Also the error a wait throws when its deadline passes.
 */
import type { ObjectState } from "../output/events.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { podProblems, type PodReport } from "./kstatus.ts";
import { makerLines, type MakerReport } from "./diagnose_maker.ts";

/** A Pod object as read from the API server. */
export type PodLike = Record<string, unknown>;

/** The object an event is about (`involvedObject` in core/v1, `regarding` in events.k8s.io/v1). */
export interface EventObjectRef {
  kind?: string;
  name?: string;
  namespace?: string;
  /** the object's `metadata.uid`: tells a pod from an earlier one of the same name */
  uid?: string;
}

/** A core/v1 or events.k8s.io/v1 Event, as read from the API server. */
export interface EventLike {
  type?: string;
  reason?: string;
  /** core/v1 */
  message?: string;
  /** events.k8s.io/v1 */
  note?: string;
  involvedObject?: EventObjectRef;
  regarding?: EventObjectRef;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
}

export interface DiagnoseInput {
  objects: ObjectState[];
  pods: PodLike[];
  events: EventLike[];
  /** what was read about the operators of objects with `madeBy` */
  makers?: MakerReport[];
}

export interface DiagnoseOptions {
  /** events shown per object (default 5), newest last */
  maxEvents?: number;
  /** pods shown per object (default 5), the worst first */
  maxPods?: number;
}

/** Longest event or pod message shown, in characters. */
const MAX_MESSAGE = 200;

/** Kinds whose pods are found through owner references (or a name prefix). */
const WORKLOADS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"]);

const SHORT_KINDS: Record<string, string> = {
  Deployment: "deploy",
  DaemonSet: "ds",
  StatefulSet: "sts",
  ReplicaSet: "rs",
  Pod: "pod",
  Job: "job",
  Service: "svc",
  CustomResourceDefinition: "crd",
  PersistentVolumeClaim: "pvc",
  ConfigMap: "cm",
  Namespace: "ns",
};

/**
 * Multi-line text naming every object that is not Current, its status
 * message, its pods (waiting reason, restarts, ready), its last events, and
 * the commands to look further.
 */
export function describeUnready(input: DiagnoseInput, options: DiagnoseOptions = {}): string {
  const maxEvents = options.maxEvents ?? 5;
  const maxPods = options.maxPods ?? 5;
  const unready = input.objects.filter((o) => o.status !== "Current");
  if (unready.length === 0) return "Every object is ready.";
  const lines: string[] = [];
  const namespaces = new Set<string>();
  for (const object of unready) {
    const { ref } = object;
    if (ref.namespace) namespaces.add(ref.namespace);
    lines.push(`${describeRef(ref)} is ${object.status}: ${object.message || "no message"}`);
    const pods = relatedPods(ref, input.pods).map(podProblems).sort(byTrouble);
    for (const pod of pods.slice(0, maxPods)) lines.push(`  pod ${describePod(pod)}`);
    if (pods.length > maxPods) lines.push(`  … and ${pods.length - maxPods} more pods`);
    const events = relatedEvents(object, input).slice(-maxEvents);
    if (events.length > 0) {
      lines.push("  last events:");
      for (const event of events) lines.push(`    ${describeEvent(event)}`);
    }
    if (ref.madeBy) {
      const op = ref.madeBy.operator;
      const opPods = relatedPods(op, input.pods).map(podProblems).sort(byTrouble);
      const report = input.makers?.find((m) => sameRef(m.operator, op));
      lines.push(...makerLines(ref.madeBy, opPods.slice(0, maxPods).map(describePod), report));
    }
    for (const hint of objectHints(ref, pods)) lines.push(`  hint: ${hint}`);
  }
  for (const namespace of [...namespaces].sort()) {
    lines.push(`hint: kubectl -n ${namespace} get events --sort-by=.lastTimestamp`);
  }
  return lines.join("\n");
}

/**
 * One line on the worst unready object: `pod istiod-7f9 CrashLoopBackOff
 * (last event: Back-off restarting failed container)`, or its status
 * message when none of its pods has a problem.
 */
export function summarizeUnready(input: DiagnoseInput): string {
  const unready = input.objects.filter((o) => o.status !== "Current");
  if (unready.length === 0) return "no object observed as unready";
  const worst = [...unready].sort((a, b) => statusRank(a.status) - statusRank(b.status))[0];
  const pods = relatedPods(worst.ref, input.pods).map(podProblems).sort(byTrouble);
  const troubled = pods.find((p) => p.problems.length > 0 || !p.ready);
  let detail = troubled && troubled.problems.length > 0
    ? `pod ${troubled.name} ${troubled.problems[0].reason}`
    : `${shortRef(worst.ref)} ${worst.status === "InProgress" ? "" : `${worst.status}: `}${
      worst.message || "no message"
    }`;
  const events = relatedEvents(worst, input);
  const last = [...events].reverse().find((e) => e.type === "Warning") ?? events.at(-1);
  if (last) detail += ` (last event: ${truncate(eventMessage(last))})`;
  if (unready.length > 1) detail += ` (and ${unready.length - 1} more not ready)`;
  return detail;
}

export interface WaitTimeoutOptions {
  /** the last observed state of every object waited for */
  objects: ObjectState[];
  pods?: PodLike[];
  events?: EventLike[];
  makers?: MakerReport[];
  timeoutMs: number;
  /** the verb of the message: `Cannot <action> "<subject>"` (default `ready`) */
  action?: string;
}

/**
 * A wait that reached its deadline. The message is one line in Deno's form
 * (`Cannot ready "istiod": not ready after 300s: pod istiod-7f9
 * CrashLoopBackOff (last event: …)`); `hint` is the command to run next,
 * shown on the following line; `diagnosis` is `describeUnready()`'s text.
 */
export class WaitTimeoutError extends Error {
  readonly subject: string;
  readonly objects: ObjectState[];
  readonly timeoutMs: number;
  readonly diagnosis: string;
  readonly hint: string;

  constructor(subject: string, options: WaitTimeoutOptions) {
    const input = {
      objects: options.objects,
      pods: options.pods ?? [],
      events: options.events ?? [],
      makers: options.makers,
    };
    const seconds = Math.round(options.timeoutMs / 1000);
    super(
      `Cannot ${options.action ?? "ready"} "${subject}": not ready after ${seconds}s: ${
        summarizeUnready(input)
      }`,
    );
    this.name = "WaitTimeoutError";
    this.subject = subject;
    this.objects = options.objects;
    this.timeoutMs = options.timeoutMs;
    this.diagnosis = describeUnready(input);
    this.hint = firstHint(input);
  }
}

/** `deploy/istiod`: kubectl's short kind and the name. */
export function shortRef(ref: ObjectRef): string {
  return `${SHORT_KINDS[ref.kind] ?? ref.kind.toLowerCase()}/${ref.name}`;
}

/** `Deployment "istiod" in istio-system`. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} "${ref.name}"${ref.namespace ? ` in ${ref.namespace}` : ""}`;
}

/**
 * The pods that belong to an object: the pod itself, pods a workload
 * controls (a Deployment through its ReplicaSets), or, for pods without
 * owner references, pods named after the workload.
 */
export function relatedPods(ref: ObjectRef, pods: readonly PodLike[]): PodLike[] {
  return pods.filter((pod) => {
    const meta = record(pod.metadata);
    const name = str(meta.name);
    if ((str(meta.namespace) || undefined) !== ref.namespace) return false;
    if (ref.kind === "Pod") return name === ref.name;
    if (!WORKLOADS.has(ref.kind)) return false;
    const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.map(record) : [];
    if (owners.length === 0) return name.startsWith(`${ref.name}-`);
    return owners.some((owner) => ownedBy(ref, str(owner.kind), str(owner.name)));
  });
}

// ---------------------------------------------------------------- helpers

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

function ownedBy(ref: ObjectRef, kind: string, name: string): boolean {
  if (kind === ref.kind && name === ref.name) return true;
  // Deployment -> ReplicaSet "<name>-<pod-template-hash>" -> Pod
  return ref.kind === "Deployment" && kind === "ReplicaSet" &&
    new RegExp(`^${escapeRegex(ref.name)}-[a-z0-9]+$`).test(name);
}

/**
 * The events of an object and of its current pods. An event that names the
 * uid of its object must name the uid seen now: events of an earlier pod
 * (or object) of the same name are history, not the reason.
 */
function relatedEvents(object: ObjectState, input: DiagnoseInput): EventLike[] {
  const { ref } = object;
  const podUids = new Map(
    relatedPods(ref, input.pods).map((
      p,
    ) => [str(record(p.metadata).name), str(record(p.metadata).uid)]),
  );
  const sameUid = (uid: string | undefined, current: string | undefined): boolean =>
    !uid || !current || uid === current;
  const matches = input.events.filter((event) => {
    const about = event.involvedObject ?? event.regarding ?? {};
    const namespace = about.namespace ?? event.metadata?.namespace;
    if (ref.namespace && namespace && namespace !== ref.namespace) return false;
    const name = about.name ?? "";
    if (about.kind === ref.kind && name === ref.name) return sameUid(about.uid, object.uid);
    if (about.kind === "Pod" && podUids.has(name)) return sameUid(about.uid, podUids.get(name));
    return ref.kind === "Deployment" && about.kind === "ReplicaSet" &&
      ownedBy(ref, "ReplicaSet", name);
  });
  // Stable sort, oldest first; events without a time keep their order at the start.
  return matches
    .map((event, index) => ({ event, index, time: eventTime(event) }))
    .sort((a, b) => a.time - b.time || a.index - b.index)
    .map((entry) => entry.event);
}

function eventTime(event: EventLike): number {
  const raw = event.series?.lastObservedTime ?? event.lastTimestamp ??
    event.deprecatedLastTimestamp ??
    event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  const time = raw ? Date.parse(raw) : NaN;
  return Number.isNaN(time) ? 0 : time;
}

function eventMessage(event: EventLike): string {
  return (event.message ?? event.note ?? "").trim().replace(/\s*\n\s*/g, " ");
}

function describeEvent(event: EventLike): string {
  const about = event.involvedObject ?? event.regarding;
  const target = about?.kind && about.name
    ? ` ${shortRef({ apiVersion: "", kind: about.kind, name: about.name })}`
    : "";
  const count = event.series?.count ?? event.count ?? 1;
  const times = count > 1 ? ` (x${count})` : "";
  return `${event.type ?? "Normal"} ${event.reason ?? "Unknown"}${target}: ${
    truncate(eventMessage(event))
  }${times}`;
}

function describePod(pod: PodReport): string {
  const reasons = [...new Set(pod.problems.map((p) => p.reason))];
  const parts = [
    reasons.length > 0 ? reasons.join(", ") : pod.phase,
    `restarts ${pod.restarts}`,
    pod.ready ? "ready" : "not ready",
  ];
  const first = pod.problems[0];
  let detail = "";
  if (first) {
    const where = [
      first.container ? `container ${first.container}` : "",
      first.lastExitCode !== undefined ? `last exit code ${first.lastExitCode}` : "",
    ].filter((s) => s !== "").join(", ");
    const message = truncate(first.message);
    detail = [where, message].filter((s) => s !== "").join(": ");
  }
  return `${pod.name}: ${parts.join(", ")}${detail ? ` (${detail})` : ""}`;
}

function objectHints(ref: ObjectRef, pods: PodReport[]): string[] {
  const ns = ref.namespace ? `-n ${ref.namespace} ` : "";
  const hints = [`kubectl ${ns}describe ${shortRef(ref)}`];
  if (ref.madeBy) hints.unshift(makerHint(ref.madeBy));
  const looping = pods.find((p) => p.problems.some((q) => q.reason === "CrashLoopBackOff"));
  if (looping) {
    const container = looping.problems.find((q) => q.reason === "CrashLoopBackOff")?.container;
    hints.push(
      `kubectl ${ns}logs pod/${looping.name}${container ? ` -c ${container}` : ""} --previous`,
    );
  }
  if (!ref.namespace) {
    hints.push(`kubectl get events -A --field-selector involvedObject.name=${ref.name}`);
  }
  return hints;
}

/**
 * The hint for an object an operator should have made: the operator's
 * workload, its logs, and the resource it reconciles (its conditions say
 * why it did not).
 */
function makerHint(madeBy: NonNullable<ObjectRef["madeBy"]>): string {
  const { operator, from } = madeBy;
  const ns = (r: ObjectRef): string => (r.namespace ? `-n ${r.namespace} ` : "");
  return `${operator.name} makes it from ${from.kind} ${
    from.namespace ? `${from.namespace}/` : ""
  }${from.name}: is the operator running and did it reconcile? kubectl ${ns(operator)}get ${
    shortRef(operator)
  }; kubectl ${ns(operator)}logs ${shortRef(operator)} --tail=50; kubectl ${
    ns(from)
  }get ${from.kind.toLowerCase()}/${from.name} -o yaml`;
}

function firstHint(input: DiagnoseInput): string {
  const unready = input.objects.filter((o) => o.status !== "Current");
  if (unready.length === 0) return "kubectl get events -A --sort-by=.lastTimestamp";
  const made = unready.find((o) => o.status === "NotFound" && o.ref.madeBy);
  if (made?.ref.madeBy) return makerHint(made.ref.madeBy);
  const worst = [...unready].sort((a, b) => statusRank(a.status) - statusRank(b.status))[0];
  const pods = relatedPods(worst.ref, input.pods).map(podProblems).sort(byTrouble);
  const hints = objectHints(worst.ref, pods);
  return hints[1] !== undefined && hints[1].includes(" logs ") ? hints[1] : hints[0];
}

/** Failed first, then the rest in the order they came. */
function statusRank(status: ObjectState["status"]): number {
  return status === "Failed" ? 0 : status === "NotFound" || status === "Unknown" ? 2 : 1;
}

/** Pods with problems first, then unready, then by restarts. */
function byTrouble(a: PodReport, b: PodReport): number {
  const score = (p: PodReport): number => (p.problems.length > 0 ? 0 : p.ready ? 2 : 1);
  return score(a) - score(b) || b.restarts - a.restarts || (a.name < b.name ? -1 : 1);
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
