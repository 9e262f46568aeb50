/**
 * The watching behind `wait.ts`: the objects' kstatus and, for workloads,
 * their pods' trouble (`pod_grace.ts`), kept current from watches, with a
 * timer for the next grace that runs out. No polling, no sleeps.
 */
import type { ObjectState } from "../output/events.ts";
import { resourceType } from "../kube/argv.ts";
import type { Kube } from "../kube/kube.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { relatedPods } from "./diagnose.ts";
import { computeStatus } from "./kstatus.ts";
import { PodGrace } from "./pod_grace.ts";

/** Kinds whose pods are watched for crash loops and image pulls that do not recover. */
const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"]);

export function refKey(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ""}|${ref.name}`;
}

export interface WatchOptions {
  signal: AbortSignal;
  onCommand?(argv: string[]): void;
  /** called on every change (and when a pod's grace runs out) */
  onChange(): void;
  /** a watch of the objects that cannot go on (403, a kind not served) */
  onWatchError(error: unknown): void;
  /** pod problem grace (default `POD_PROBLEM_GRACE_MS`) */
  podGraceMs?: number;
  now?: () => number;
}

/** The live state of some objects and their pods, kept by watches until `signal` aborts. */
export class ObjectWatch {
  readonly states = new Map<string, ObjectState>();
  readonly #refs: readonly ObjectRef[];
  readonly #pods = new Map<string, Record<string, unknown>>();
  readonly #grace: PodGrace;
  readonly #o: WatchOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly done: Promise<unknown>;

  constructor(kube: Kube, refs: readonly ObjectRef[], options: WatchOptions) {
    this.#refs = refs;
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#grace = new PodGrace({ startedAt: this.#now(), graceMs: options.podGraceMs });
    for (const ref of refs) {
      this.states.set(refKey(ref), { ref, status: "NotFound", message: "not found yet" });
    }
    options.signal.addEventListener("abort", () => clearTimeout(this.#timer), { once: true });
    this.done = Promise.allSettled([...this.#objectWatches(kube), ...this.#podWatches(kube)]);
  }

  /**
   * The objects not Current; a workload whose pod is stuck past its grace
   * shows as Failed with that pod's problem.
   */
  pending(): ObjectState[] {
    const failure = this.#grace.failure(this.#now());
    const pending: ObjectState[] = [];
    for (const state of this.states.values()) {
      if (state.status === "Current") continue;
      if (failure && this.#owns(state.ref, failure.pod, failure.namespace)) {
        pending.push({ ...state, status: "Failed", message: failure.message });
      } else pending.push(state);
    }
    return pending;
  }

  #owns(ref: ObjectRef, pod: string, namespace?: string): boolean {
    const obj = this.#pods.get(`${namespace ?? ""}/${pod}`);
    return obj !== undefined && relatedPods(ref, [obj]).length > 0;
  }

  #objectWatches(kube: Kube): Promise<void>[] {
    const groups = new Map<string, ObjectRef[]>();
    for (const ref of this.#refs) {
      const key = `${resourceType(ref)}|${ref.namespace ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), ref]);
    }
    return [...groups.values()].map((group) => {
      const first = group[0];
      return kube.watch({
        apiVersion: first.apiVersion,
        kind: first.kind,
        namespace: first.namespace,
        ...(group.length === 1 ? { fieldSelector: `metadata.name=${first.name}` } : {}),
      }, {
        signal: this.#o.signal,
        onCommand: this.#o.onCommand,
        onObject: (type, obj) => {
          const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string; uid?: string };
          const ref = group.find((r) =>
            r.name === meta.name && (r.namespace ?? "") === (meta.namespace ?? "")
          );
          if (!ref) return;
          const state: ObjectState = type === "DELETED"
            ? { ref, status: "NotFound", message: "deleted" }
            : { ref, ...(meta.uid ? { uid: meta.uid } : {}), ...computeStatus(obj) };
          this.states.set(refKey(ref), state);
          this.#o.onChange();
        },
      }).catch((e) => this.#o.onWatchError(e));
    });
  }

  /** One watch of the pods per namespace of a workload; best effort (a failure only loses the early stop). */
  #podWatches(kube: Kube): Promise<void>[] {
    const workloads = this.#refs.filter((r) => WORKLOAD_KINDS.has(r.kind) && r.namespace);
    const namespaces = [...new Set(workloads.map((r) => r.namespace!))];
    return namespaces.map((namespace) =>
      kube.watch({ apiVersion: "v1", kind: "Pod", namespace }, {
        signal: this.#o.signal,
        onCommand: this.#o.onCommand,
        onObject: (type, pod) => {
          if (!workloads.some((ref) => relatedPods(ref, [pod]).length > 0)) return;
          const meta = (pod.metadata ?? {}) as { name?: string };
          const key = `${namespace}/${meta.name ?? ""}`;
          if (type === "DELETED") this.#pods.delete(key);
          else this.#pods.set(key, pod);
          this.#grace.observe(pod, this.#now(), type === "DELETED");
          this.#schedule();
          this.#o.onChange();
        },
      }).catch(() => undefined)
    );
  }

  /** A timer for the next grace that runs out: nothing else would wake the wait then. */
  #schedule(): void {
    clearTimeout(this.#timer);
    const next = this.#grace.nextDeadline();
    if (next === undefined || this.#o.signal.aborted) return;
    this.#timer = setTimeout(() => this.#o.onChange(), Math.max(0, next - this.#now()) + 5);
  }
}
