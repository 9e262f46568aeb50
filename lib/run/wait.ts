/**
 * Waits for objects to be ready by kstatus rules, driven by watches (the
 * API client's, or `kubectl get --watch` without one), with one deadline.
 * No polling and no sleeps: a status change is noticed when its event
 * arrives. On Failed it stops at once; at the deadline it names every
 * unready object with its pods' reasons and the last events.
 */
import type { ObjectState } from "../output/events.ts";
import { computeStatus } from "./kstatus.ts";
import { WaitTimeoutError } from "./diagnose.ts";
import { resourceType } from "../kube/argv.ts";
import type { CommandHooks, Kube } from "../kube/kube.ts";
import type { ObjectRef } from "../plan/plan.ts";

export interface WaitOptions extends CommandHooks {
  timeoutMs: number;
  /** what is being waited for, for the error message (e.g. a step name) */
  subject: string;
  /** called whenever the set of pending objects changes */
  onProgress?(pending: ObjectState[]): void;
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

export function refKey(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ""}|${ref.name}`;
}

export { resourceType };

export async function waitReady(
  kube: Kube,
  refs: readonly ObjectRef[],
  options: WaitOptions,
): Promise<void> {
  if (refs.length === 0) return;
  const states = new Map<string, ObjectState>(
    refs.map((ref) => [refKey(ref), { ref, status: "NotFound", message: "not found yet" }]),
  );
  const groups = new Map<string, ObjectRef[]>();
  for (const ref of refs) {
    const key = `${resourceType(ref)}|${ref.namespace ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), ref]);
  }
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let settle!: (outcome: "ready" | "failed" | "timeout" | "aborted") => void;
  const outcome = new Promise<"ready" | "failed" | "timeout" | "aborted">((r) => (settle = r));
  const timer = setTimeout(() => settle("timeout"), options.timeoutMs);
  stop.signal.addEventListener("abort", () => settle("aborted"), { once: true });

  let lastPending = "";
  const evaluate = (): void => {
    const pending = [...states.values()].filter((s) => s.status !== "Current");
    const sig = pending.map((p) => `${refKey(p.ref)}=${p.status}:${p.message}`).join(";");
    if (sig !== lastPending) {
      lastPending = sig;
      options.onProgress?.(pending);
    }
    if (pending.length === 0) settle("ready");
    else if (pending.some((p) => p.status === "Failed")) settle("failed");
  };

  let watchError: unknown;
  const watchers = [...groups.values()].map((group) => {
    const ref = group[0];
    return kube.watch({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      namespace: ref.namespace,
      ...(group.length === 1 ? { fieldSelector: `metadata.name=${ref.name}` } : {}),
    }, {
      signal: stop.signal,
      onCommand: options.onCommand,
      onObject(type, obj) {
        const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
        const ref = group.find((r) =>
          r.name === meta.name && (r.namespace ?? "") === (meta.namespace ?? "")
        );
        if (!ref) return;
        const state: ObjectState = type === "DELETED"
          ? { ref, status: "NotFound", message: "deleted" }
          : { ref, ...computeStatus(obj) };
        states.set(refKey(ref), state);
        evaluate();
      },
    }).catch((e) => {
      // a watch that cannot go on (403, a kind that is not served) ends the wait
      watchError ??= e;
      settle("failed");
    });
  });
  const result = await outcome;
  clearTimeout(timer);
  stop.abort();
  options.signal?.removeEventListener("abort", onOuterAbort);
  await Promise.allSettled(watchers);
  if (result === "ready") return;
  if (result === "aborted") throw options.signal?.reason ?? new Error("aborted");
  if (watchError) {
    throw new Error(
      `Cannot watch "${options.subject}": ${(watchError as Error).message ?? watchError}`,
    );
  }
  const unready = [...states.values()].filter((s) => s.status !== "Current");
  const namespaces = [
    ...new Set(unready.map((s) => s.ref.namespace).filter((n): n is string => !!n)),
  ];
  const { pods, events } = await kube.podsAndEvents(namespaces, { onCommand: options.onCommand });
  if (result === "failed") {
    const failed = unready.filter((s) => s.status === "Failed");
    const err = new WaitTimeoutError(options.subject, {
      objects: failed,
      pods: pods as Record<string, unknown>[],
      events,
      timeoutMs: options.timeoutMs,
    });
    throw new WaitFailedError(
      `Cannot ready "${options.subject}": ${
        failed.map((s) => `${s.ref.kind} ${s.ref.name} failed: ${s.message}`).join("; ")
      }\n${err.diagnosis}`,
      failed,
      err.hint,
    );
  }
  const err = new WaitTimeoutError(options.subject, {
    objects: unready,
    pods: pods as Record<string, unknown>[],
    events,
    timeoutMs: options.timeoutMs,
  });
  throw Object.assign(err, { message: `${err.message}\n${err.diagnosis}` });
}
