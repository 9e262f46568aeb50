/**
 * Waits for objects to be ready by kstatus rules, driven by watches (the
 * API client's, or `kubectl get --watch` without one), with one deadline.
 * No polling and no sleeps: a status change is noticed when its event
 * arrives. On Failed it stops at once; so does a workload whose pod stays
 * in CrashLoopBackOff, ImagePullBackOff or ErrImagePull past its grace
 * (`pod_grace.ts`). At the deadline it names every unready object with its
 * pods' reasons and the last events.
 *
 * `watchWorkloads` is the same watching while helm's own `--wait` runs:
 * progress as it goes, and the pod problem that should stop helm early.
 */
import type { ObjectState } from "../output/events.ts";
import { relatedPods, WaitTimeoutError } from "./diagnose.ts";
import { MAKER_LOG_LINES, type MakerReport } from "./diagnose_maker.ts";
import { resourceType } from "../kube/argv.ts";
import type { CommandHooks, Kube } from "../kube/kube.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { ObjectWatch, refKey } from "./_wait_watch.ts";

export { CRASH_LOOP_RESTARTS, POD_PROBLEM_GRACE_MS } from "./pod_grace.ts";

export interface WaitOptions extends CommandHooks {
  timeoutMs: number;
  /** what is being waited for, for the error message (e.g. a step name) */
  subject: string;
  /** called whenever the set of pending objects changes */
  onProgress?(pending: ObjectState[]): void;
  /** how long a pod may stay stuck in a crash loop or image pull (default 30 s) */
  podGraceMs?: number;
  now?: () => number;
}

export class WaitFailedError extends Error {
  readonly objects: ObjectState[];
  readonly hint?: string;
  constructor(message: string, objects: ObjectState[], hint?: string) {
    super(message);
    this.name = "WaitFailedError";
    this.objects = objects;
    this.hint = hint;
  }
}

export { refKey, resourceType };

type Outcome = "ready" | "failed" | "timeout" | "aborted";

export async function waitReady(
  kube: Kube,
  refs: readonly ObjectRef[],
  options: WaitOptions,
): Promise<void> {
  if (refs.length === 0) return;
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let settle!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((r) => (settle = r));
  const timer = setTimeout(() => settle("timeout"), options.timeoutMs);
  stop.signal.addEventListener("abort", () => settle("aborted"), { once: true });

  let lastPending = "";
  const report = (pending: ObjectState[]): void => {
    const sig = pending.map((p) => `${refKey(p.ref)}=${p.status}:${p.message}`).join(";");
    if (sig === lastPending) return;
    lastPending = sig;
    options.onProgress?.(pending);
  };
  let watchError: unknown;
  const watch: ObjectWatch = new ObjectWatch(kube, refs, {
    signal: stop.signal,
    onCommand: options.onCommand,
    podGraceMs: options.podGraceMs,
    now: options.now,
    onWatchError(e) {
      watchError ??= e;
      settle("failed");
    },
    onChange() {
      const pending = watch.pending();
      report(pending);
      if (pending.length === 0) settle("ready");
      else if (pending.some((p) => p.status === "Failed")) settle("failed");
    },
  });
  // an operator's object may never appear, so no watch event would say what is awaited
  if (refs.some((r) => r.madeBy)) report(watch.pending());
  const result = await outcome;
  clearTimeout(timer);
  const unready = watch.pending();
  stop.abort();
  options.signal?.removeEventListener("abort", onOuterAbort);
  await watch.done;
  if (result === "ready") return;
  if (result === "aborted") throw options.signal?.reason ?? new Error("aborted");
  if (watchError) {
    throw new Error(
      `Cannot watch "${options.subject}": ${(watchError as Error).message ?? watchError}`,
    );
  }
  if (result === "failed") throw await failedError(kube, unready, options);
  const { pods, events } = await podsAndEvents(kube, unready, options);
  const err = new WaitTimeoutError(options.subject, {
    objects: unready,
    pods,
    events,
    makers: await makerReports(kube, unready, pods, options),
    timeoutMs: options.timeoutMs,
  });
  throw Object.assign(err, { message: `${err.message}\n${err.diagnosis}` });
}

/**
 * Watches workloads while something else waits for them (helm `--wait`):
 * reports progress, and resolves to the failure that should stop it early
 * (a pod stuck past its grace), or to undefined once `signal` aborts.
 * A Failed object is left to helm's own wait, which sees it too.
 */
export async function watchWorkloads(
  kube: Kube,
  refs: readonly ObjectRef[],
  options: WaitOptions & { signal: AbortSignal },
): Promise<WaitFailedError | undefined> {
  if (refs.length === 0 || options.signal.aborted) return undefined;
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  options.signal.addEventListener("abort", onOuterAbort, { once: true });
  let lastPending = "";
  let failed: ObjectState[] | undefined;
  const watch: ObjectWatch = new ObjectWatch(kube, refs, {
    signal: stop.signal,
    onCommand: options.onCommand,
    podGraceMs: options.podGraceMs,
    now: options.now,
    onWatchError: () => undefined,
    onChange() {
      const pending = watch.pending();
      const sig = pending.map((p) => `${refKey(p.ref)}=${p.status}:${p.message}`).join(";");
      if (sig !== lastPending) {
        lastPending = sig;
        options.onProgress?.(pending);
      }
      const stuck = pending.filter((p) => p.status === "Failed" && p.message.startsWith("pod "));
      if (stuck.length > 0 && !failed) {
        failed = stuck;
        stop.abort();
      }
    },
  });
  await watch.done;
  options.signal.removeEventListener("abort", onOuterAbort);
  if (!failed) return undefined;
  return await failedError(kube, failed, options);
}

async function podsAndEvents(
  kube: Kube,
  objects: ObjectState[],
  options: WaitOptions,
): Promise<{ pods: Record<string, unknown>[]; events: Record<string, unknown>[] }> {
  // an operator that should have made an object: its pods are part of the answer
  const refs = objects.flatMap((s) => [s.ref, ...(s.ref.madeBy ? [s.ref.madeBy.operator] : [])]);
  const namespaces = [...new Set(refs.map((r) => r.namespace).filter((n): n is string => !!n))];
  return await kube.podsAndEvents(namespaces, { onCommand: options.onCommand });
}

/**
 * For each object an operator should have made and did not: the resource
 * it reconciles and the last log lines of its pod (the troubled one
 * first). Best effort: what cannot be read is left out.
 */
async function makerReports(
  kube: Kube,
  objects: ObjectState[],
  pods: Record<string, unknown>[],
  options: WaitOptions,
): Promise<MakerReport[]> {
  const hooks = { onCommand: options.onCommand };
  const made = objects.filter((s) => s.status === "NotFound" && s.ref.madeBy);
  return await Promise.all(made.map(async (s) => {
    const { operator, from } = s.ref.madeBy!;
    const cr = await kube.getObject(from, hooks).catch(() => undefined);
    const report: MakerReport = { operator, ...(cr ? { from: cr } : {}) };
    const pod = relatedPods(operator, pods).at(0);
    const name = String((pod?.metadata as { name?: string } | undefined)?.name ?? "");
    if (!name) return report;
    const ref = { apiVersion: "v1", kind: "Pod", name, namespace: operator.namespace };
    const text = await kube.podLogTail(ref, MAKER_LOG_LINES, hooks).catch(() => undefined);
    if (text === undefined) return report;
    return { ...report, log: { pod: name, lines: text.split("\n").filter((l) => l.trim()) } };
  }));
}

/** `Cannot ready "<subject>": <kind> <name> failed: <why>` and the diagnosis below it. */
async function failedError(
  kube: Kube,
  unready: ObjectState[],
  options: WaitOptions,
): Promise<WaitFailedError> {
  const failed = unready.filter((s) => s.status === "Failed");
  const { pods, events } = await podsAndEvents(kube, failed, options);
  const err = new WaitTimeoutError(options.subject, {
    objects: failed,
    pods,
    events,
    timeoutMs: options.timeoutMs,
  });
  return new WaitFailedError(
    `Cannot ready "${options.subject}": ${
      failed.map((s) => `${s.ref.kind} ${s.ref.name} failed: ${s.message}`).join("; ")
    }\n${err.diagnosis}`,
    failed,
    err.hint,
  );
}
