/**
 * Figures `deno task bench` derives from a run, pure: where each task's time
 * went against the readiness profile, how many helm and kubectl processes a
 * run spawned, medians and ratios. No simulator, no processes; main.ts feeds
 * them the events it captured and tests/bench/figures_test.ts checks them.
 *
 * @module
 */
import type { RunEvent } from "../../lib/output/events.ts";
import { type Node, topoOrder } from "../../lib/plan/dag.ts";
import type { TimedEvent } from "./detect.ts";
import type { ScaleRatios } from "./report.ts";

/** One task of a run against what the profile makes it wait for. */
export interface TaskOverhead {
  task: string;
  /** on the profile's critical path */
  critical: boolean;
  /** what the profile makes the task wait for (tests/bench/profile.ts `taskCost`) */
  costMs: number;
  /** the task's `durationMs` in its `task-done` event */
  measuredMs: number;
  /** measured minus cost: the task's own waste (processes, reads, polling) */
  overheadMs: number;
  /** when the task could start at the earliest: its longest chain of deps under the profile */
  earliestMs: number;
  /** when it started, from the run's start (its `task-start` event's arrival) */
  startMs: number;
  /** start minus earliest: how long it waited beyond its deps' profile costs */
  lateMs: number;
  /**
   * start minus the finish of its last dep (of the run's start for a root):
   * what the task itself lost before starting, where `lateMs` also carries
   * every upstream task's overhead
   */
  afterDepsMs: number;
}

/**
 * The earliest start of every node when each costs `cost(id)` and a node
 * starts as soon as all its deps are done: the longest chain of deps
 * before it (0 for a root). Its finish is this plus its own cost; the
 * largest finish is the critical path's total.
 */
export function earliestStarts(
  nodes: readonly Node[],
  cost: (id: string) => number,
): Map<string, number> {
  const start = new Map<string, number>();
  for (const n of topoOrder(nodes)) {
    start.set(n.id, Math.max(0, ...n.deps.map((d) => (start.get(d) ?? 0) + cost(d))));
  }
  return start;
}

/**
 * Each task that started and finished in `events`, in the graph's
 * topological order: its measured duration (from `task-done`) against its
 * profile cost, and its start (the `task-start` event's arrival, less
 * `startAt`, the run's start on the same clock) against its earliest start
 * and against its deps' finish (their `task-done` events' arrival). Tasks
 * without both events (not in the plan, not run) are left out.
 */
export function taskOverheads(
  events: readonly TimedEvent[],
  options: {
    nodes: readonly Node[];
    cost: (id: string) => number;
    startAt: number;
    criticalPath?: readonly string[];
  },
): TaskOverhead[] {
  const started = new Map<string, number>();
  const done = new Map<string, { at: number; durationMs: number }>();
  for (const { at, event } of events) {
    if (event.type === "task-start" && !started.has(event.task)) started.set(event.task, at);
    if (event.type === "task-done") done.set(event.task, { at, durationMs: event.durationMs });
  }
  const earliest = earliestStarts(options.nodes, options.cost);
  const critical = new Set(options.criticalPath ?? []);
  const rows: TaskOverhead[] = [];
  for (const n of topoOrder(options.nodes)) {
    const at = started.get(n.id);
    const measuredMs = done.get(n.id)?.durationMs;
    if (at === undefined || measuredMs === undefined) continue;
    const costMs = options.cost(n.id);
    const earliestMs = earliest.get(n.id) ?? 0;
    const startMs = at - options.startAt;
    const depsDoneAt = Math.max(
      options.startAt,
      ...n.deps.map((d) => done.get(d)?.at ?? -Infinity),
    );
    rows.push({
      task: n.id,
      critical: critical.has(n.id),
      costMs,
      measuredMs,
      overheadMs: measuredMs - costMs,
      earliestMs,
      startMs,
      lateMs: startMs - earliestMs,
      afterDepsMs: at - depsDoneAt,
    });
  }
  return rows;
}

/** How many of `spawned` (argv lists, argv[0] the tool's name) are helm or kubectl processes. */
export function kubeProcesses(spawned: readonly (readonly string[])[]): number {
  return spawned.filter((argv) => argv[0] === "helm" || argv[0] === "kubectl").length;
}

/** The median of a non-empty list (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The run events without their arrival times. */
export function plainEvents(events: readonly TimedEvent[]): RunEvent[] {
  return events.map((e) => e.event);
}

/** `up` on one simulated cluster size, then its no-op re-run and `verify` (medians of a few). */
export interface ScaleRun {
  nodes: number;
  upMs: number;
  noopMs: number;
  /** helm + kubectl processes of the no-op re-run (the most any spawned) */
  noopProcs: number;
  /** API requests of the no-op re-run (the most any made) */
  noopRequests: number;
  verifyMs: number;
  /** helm + kubectl processes of verify (the most any spawned) */
  verifyProcs: number;
}

/** The large run's wall times over the small one's. */
export function scaleRatios(small: ScaleRun, large: ScaleRun): ScaleRatios {
  return {
    largeNodes: large.nodes,
    smallNodes: small.nodes,
    up: large.upMs / small.upMs,
    noop: large.noopMs / small.noopMs,
    verify: large.verifyMs / small.verifyMs,
  };
}
