/**
 * What the simulated controllers share: the API, the scheduler, the options,
 * the queue of reconciles, the rollout bookkeeping that turns a delay into
 * readiness, and the event recorder.
 *
 * @module
 */

import type { Api } from "../api/mod.ts";
import type { ObjectFault } from "../faults.ts";
import { type KubeObject, type Rec, seededRandom, shortHash } from "../object.ts";
import type { ResourceType } from "../resources.ts";
import type { Scheduler } from "../scheduler.ts";
import type { PodState } from "../pod_status.ts";
import { EventRecorder } from "./events.ts";

/** Readiness timing. */
export interface ControllerOptions {
  /** Delay before workloads become ready (default 100 ms). */
  readyAfterMs?: number;
  /** Delay before CRDs become Established (default 20 ms). */
  establishAfterMs?: number;
  /** Delay by `"<namespace>/<Kind>/<name>"` (namespace empty for cluster-scoped objects). */
  readyDelays?: Record<string, number>;
  /** Delay by a function; undefined falls through to the defaults. */
  readyDelay?: (obj: KubeObject) => number | undefined;
  /**
   * Relative jitter applied to every delay, e.g. 0.1 for ±10 %. It is drawn
   * from `seed` and the object's namespace, kind and name, so the same object
   * gets the same delay in every run whatever the order of events.
   */
  jitter?: number;
  /** Seed of the jitter (default 0). */
  seed?: number;
  /** Addresses handed to LoadBalancer Services, in order. */
  loadBalancerIps?: string[];
  /** Run the workload controllers (default true). Namespaces, CRDs and GC always run. */
  workloads?: boolean;
}

/** A rollout of one revision of an object, ready once its delay has passed. */
export interface Rollout {
  revision: string;
  ready: boolean;
  started: number;
}

const ANNOTATION_DELAY = "sim.meshup.dev/ready-after-ms";

/** What a {@link ControllerContext} is made of. */
export interface ControllerContextInit {
  api: Api;
  scheduler: Scheduler;
  random: () => number;
  options: ControllerOptions;
  /** Runs the reconciler of `kind` for one object. */
  reconcile: (kind: string, namespace: string | undefined, name: string) => void;
}

/** The state and helpers every controller family shares. */
export class ControllerContext {
  readonly api: Api;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly options:
    & Required<Omit<ControllerOptions, "readyDelay">>
    & Pick<ControllerOptions, "readyDelay">;
  /** Rollouts by `"<kind>/<uid>"`. */
  readonly rollouts = new Map<string, Rollout>();
  /** Records Events. */
  readonly events: EventRecorder;
  #reconcile: (kind: string, namespace: string | undefined, name: string) => void;

  constructor(init: ControllerContextInit) {
    const options = init.options;
    this.api = init.api;
    this.scheduler = init.scheduler;
    this.random = init.random;
    this.#reconcile = init.reconcile;
    this.options = {
      readyAfterMs: options.readyAfterMs ?? 100,
      establishAfterMs: options.establishAfterMs ?? 20,
      readyDelays: options.readyDelays ?? {},
      readyDelay: options.readyDelay,
      jitter: options.jitter ?? 0,
      seed: options.seed ?? 0,
      loadBalancerIps: options.loadBalancerIps ??
        Array.from({ length: 200 }, (_, i) => `127.0.0.${i + 2}`),
      workloads: options.workloads ?? true,
    };
    this.events = new EventRecorder(this);
  }

  /** The delay before `obj` becomes ready (or Established), jitter applied. */
  delayFor(obj: KubeObject, fallback?: number): number {
    const annotated = Number(obj.metadata.annotations?.[ANNOTATION_DELAY]);
    const ns = obj.metadata.namespace ?? "";
    const name = obj.metadata.name ?? "";
    const byName = this.options.readyDelays[`${ns}/${obj.kind}/${name}`] ??
      (ns ? undefined : this.options.readyDelays[`${obj.kind}/${name}`]);
    const base =
      Number.isFinite(annotated) && obj.metadata.annotations?.[ANNOTATION_DELAY] !== undefined
        ? annotated
        : byName ?? this.options.readyDelay?.(obj) ?? fallback ??
          (obj.kind === "CustomResourceDefinition"
            ? this.options.establishAfterMs
            : this.options.readyAfterMs);
    const jitter = this.options.jitter;
    if (!jitter || base <= 0) return base;
    const unit = seededRandom(
      Number.parseInt(shortHash([this.options.seed, ns, obj.kind, name], 6), 36) >>> 0,
    )();
    return Math.max(0, Math.round(base * (1 + jitter * (2 * unit - 1))));
  }

  /** The type of `group`/`resource` at any served version. */
  type(group: string, resource: string): ResourceType {
    const t = this.api.registry.findAnyVersion(group, resource);
    if (!t) throw new Error(`no type ${group}/${resource}`);
    return t;
  }

  /** Queues a reconcile of `kind` for one object after `delay` ms. */
  enqueue(kind: string, namespace: string | undefined, name: string, delay = 0): void {
    this.scheduler.after(delay, () => this.#reconcile(kind, namespace, name), {
      key: `reconcile:${kind}/${namespace ?? ""}/${name}`,
    });
  }

  /** Whether the rollout of `obj` at `revision` is past its delay; schedules it if new. */
  ready(kind: string, obj: KubeObject, revision: string): Rollout {
    const key = `${kind}/${obj.metadata.uid}`;
    let state = this.rollouts.get(key);
    if (!state || state.revision !== revision) {
      const delay = this.delayFor(obj);
      state = { revision, ready: delay <= 0, started: Date.now() };
      this.rollouts.set(key, state);
      if (delay > 0) {
        const current = state;
        this.scheduler.after(delay, () => {
          current.ready = true;
          this.enqueue(kind, obj.metadata.namespace, obj.metadata.name ?? "");
        }, { key: `ready:${key}`, replace: true });
      }
    }
    return state;
  }

  /** The state of a workload's pods, from its rollout and its fault. */
  podState(ready: boolean, fault: ObjectFault | undefined): PodState {
    // Pods that can never start show it at once, before the workload's status is written,
    // so a watcher re-reading pods on the next workload event sees them failing.
    if (fault?.fault === "unschedulable") return "unschedulable";
    if (fault?.fault === "crash-loop") return "crash-loop";
    if (fault?.fault === "image-pull-backoff") return "image-pull";
    if (!ready) return "pending";
    switch (fault?.fault) {
      case "never-ready":
      case "progress-deadline":
        return "not-ready";
      default:
        return "ready";
    }
  }

  /** With `stale-generation`, a workload stops observing spec changes after its first generation. */
  stale(fault: ObjectFault | undefined, status: Rec, obj: KubeObject): boolean {
    return fault?.fault === "stale-generation" && status.observedGeneration !== undefined &&
      status.observedGeneration !== obj.metadata.generation;
  }
}
