/**
 * How long after the simulator makes an object ready does meshup's runner
 * notice it (metric (d) of `deno task bench`)?
 *
 * Method. The simulator, the runner (`main()` called in-process) and this
 * module share one process and one monotonic clock (`performance.now()`):
 *
 * - ready: {@link ReadyRecorder} subscribes to the simulator's store, which
 *   calls it synchronously on every write; the first write after which
 *   `computeStatus()` (lib/run/kstatus.ts, the rule the runner itself applies)
 *   says Current is the moment the object became ready, before the watch
 *   event has even left the API server;
 * - noticed: the runner's NDJSON events are timestamped as each line reaches
 *   `io.out` ({@link EventClock}). A watch-based wait (lib/run/wait.ts) emits a
 *   `wait` event whenever its set of pending objects changes, so the first
 *   event of that step after the ready write that no longer lists the
 *   object (or the step's `step-done`) is the moment the runner knew.
 *
 * The difference covers everything in between: the watch event on the HTTP
 * stream, kubectl decoding it and printing JSON, the pipe, the runner's
 * splitter and kstatus, the emit. Only objects the runner waits on itself
 * count (those listed as pending in some `wait` event: bookinfo's
 * Deployments, the Kiali server, CRDs of apply steps); helm's own `--wait`
 * emits no per-object events. Caveat: the simulator runs on the runner's
 * event loop, so a busy simulator delays the runner too (a real API server
 * would not), which makes the figure pessimistic rather than flattering.
 *
 * @module
 */
import type { RunEvent } from "../../lib/output/events.ts";
import { computeStatus } from "../../lib/run/kstatus.ts";
import type { StoreEvent } from "../sim/mod.ts";
import { objectKey } from "./profile.ts";

/** Kinds the runner's watch-based waits handle (`WORKLOAD_KINDS` of lib/run/executors/apply.ts). */
const WATCHED_KINDS = new Set([
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "Job",
  "CustomResourceDefinition",
]);

/** An event with the `performance.now()` at which the runner wrote it. */
export interface TimedEvent {
  at: number;
  event: RunEvent;
}

/** One readiness noticed by the runner. */
export interface NoticeSample {
  key: string;
  task: string;
  step: string;
  /** `performance.now()` of the simulator's write that made the object Current */
  readyAt: number;
  /** `performance.now()` of the runner's first event showing it knew */
  noticedAt: number;
  latencyMs: number;
}

/** Records when the simulator first stored each watched object as Current. */
export class ReadyRecorder {
  readonly #readyAt = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(
    store: { subscribe(fn: (e: StoreEvent) => void): () => void },
    options: { now?: () => number } = {},
  ) {
    const now = options.now ?? (() => performance.now());
    this.#unsubscribe = store.subscribe((e) => {
      const at = now();
      const obj = e.object;
      if (e.type === "DELETED" || !WATCHED_KINDS.has(obj.kind ?? "")) return;
      const key = objectKey(obj.metadata.namespace, obj.kind ?? "", obj.metadata.name ?? "");
      if (this.#readyAt.has(key)) return;
      if (computeStatus(obj as unknown as Record<string, unknown>).status === "Current") {
        this.#readyAt.set(key, at);
      }
    });
  }

  /** Key (`"<ns>/<Kind>/<name>"`) to the time it became ready. */
  get readyAt(): ReadonlyMap<string, number> {
    return this.#readyAt;
  }

  close(): void {
    this.#unsubscribe();
  }
}

/** Splits what `main()` writes to `io.out` into NDJSON events, timestamped on arrival. */
export class EventClock {
  readonly events: TimedEvent[] = [];
  #partial = "";
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Pass as `io.out`. */
  readonly write = (text: string): void => {
    const at = this.#now();
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("{")) this.events.push({ at, event: JSON.parse(line) as RunEvent });
    }
  };
}

function refKeyOf(ref: { kind: string; name: string; namespace?: string }): string {
  return objectKey(ref.namespace, ref.kind, ref.name);
}

/**
 * Pairs ready times with the events that show the runner noticed them.
 * Objects that never appear as pending in a `wait` event are not the
 * runner's own waits and give no sample; neither does an object whose
 * ready write the simulator never made.
 */
export function noticeSamples(
  readyAt: ReadonlyMap<string, number>,
  events: readonly TimedEvent[],
): NoticeSample[] {
  const waitedBy = new Map<string, { task: string; step: string }>();
  for (const { event } of events) {
    if (event.type !== "wait") continue;
    for (const p of event.pending) {
      const key = refKeyOf(p.ref);
      if (!waitedBy.has(key)) waitedBy.set(key, { task: event.task, step: event.step });
    }
  }
  const samples: NoticeSample[] = [];
  for (const [key, { task, step }] of waitedBy) {
    const ready = readyAt.get(key);
    if (ready === undefined) continue;
    const noticed = events.find(({ at, event }) => {
      if (at < ready || !("task" in event) || event.task !== task) return false;
      if (!("step" in event) || event.step !== step) return false;
      if (event.type === "step-done" || event.type === "step-failed") return true;
      return event.type === "wait" && !event.pending.some((p) => refKeyOf(p.ref) === key);
    });
    if (!noticed) continue;
    samples.push({
      key,
      task,
      step,
      readyAt: ready,
      noticedAt: noticed.at,
      latencyMs: noticed.at - ready,
    });
  }
  return samples;
}

/** Nearest-rank percentile (p in 0-100) of a non-empty list; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
