/**
 * Schedules tasks and nothing else: ready-driven over the DAG (a task
 * starts as soon as its own deps are done), bounded concurrency, a failed
 * task skips its dependents while independent branches finish, and an
 * abort starts nothing new.
 */
import type { TaskOutcome } from "../output/events.ts";
import type { Plan, PlannedTask } from "../plan/plan.ts";
import type { EventBody } from "./executor.ts";

export interface Summary {
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  tasks: { id: string; outcome: TaskOutcome; durationMs: number; reason?: string }[];
}

export interface TaskResult {
  outcome: TaskOutcome;
  reason?: string;
}

export interface ScheduleOptions {
  /** the tasks a task waits for (its deps for `up`, its dependents for `down`) */
  depsOf(task: PlannedTask): string[];
  /**
   * Runs one task, given the outcomes of what it waited for; `background`
   * when another task that is running or ready lies on a longer chain of
   * remaining work (its processes may yield the CPU to that one).
   */
  exec(
    task: PlannedTask,
    depOutcomes: TaskOutcome[],
    placement: { background: boolean },
  ): Promise<TaskResult>;
  emit(body: EventBody): void;
  /**
   * Called for the task that will start next on the longest chain, once its
   * deps have all started: it may start its first process early, held until
   * it runs (prestart.ts).
   */
  prestart?(task: PlannedTask): void;
  concurrency?: number;
  signal?: AbortSignal;
  now?: () => number;
}

const GOOD: readonly (TaskOutcome | "")[] = ["done", "unchanged", "skipped"];

/**
 * For each task, how much work still waits behind it: first the most tasks
 * with steps on any chain from it to the end of the plan (itself
 * included), then, to break ties, how many tasks depend on it at all.
 * Returned as one comparable number (chain * 1000 + dependents).
 */
export function remainingChain(
  plan: Plan,
  depsOf: (task: PlannedTask) => string[],
): Map<string, number> {
  const after = new Map<string, string[]>();
  for (const t of plan.tasks) {
    for (const d of depsOf(t)) after.set(d, [...(after.get(d) ?? []), t.id]);
  }
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const chain = new Map<string, number>();
  const below = new Map<string, Set<string>>();
  const walk = (id: string): void => {
    if (chain.has(id)) return;
    chain.set(id, 0); // a cycle (rejected when planning) cannot recurse forever
    below.set(id, new Set());
    const next = after.get(id) ?? [];
    for (const n of next) walk(n);
    const own = (byId.get(id)?.steps.length ?? 0) > 0 ? 1 : 0;
    chain.set(id, own + Math.max(0, ...next.map((n) => chain.get(n)!)));
    below.set(id, new Set(next.flatMap((n) => [n, ...below.get(n)!])));
  };
  for (const t of plan.tasks) walk(t.id);
  return new Map(plan.tasks.map((t) => [t.id, chain.get(t.id)! * 1000 + below.get(t.id)!.size]));
}

/**
 * The task {@link schedule} prestarts first: the one on the longest chain
 * whose deps are all tasks that start at once (those without deps in the
 * plan). Known before the schedule begins, so that its process can start
 * while the run's first reads are still under way.
 */
export function firstPrestart(
  plan: Plan,
  depsOf: (task: PlannedTask) => string[],
): PlannedTask | undefined {
  const inPlan = new Set(plan.tasks.map((t) => t.id));
  const depsIn = (t: PlannedTask): string[] => depsOf(t).filter((d) => inPlan.has(d));
  const roots = new Set(plan.tasks.filter((t) => depsIn(t).length === 0).map((t) => t.id));
  const rank = remainingChain(plan, depsOf);
  let best: PlannedTask | undefined;
  for (const task of plan.tasks) {
    if (roots.has(task.id) || task.steps.length === 0) continue;
    if (!depsIn(task).every((d) => roots.has(d))) continue;
    if (!best || rank.get(task.id)! > rank.get(best.id)!) best = task;
  }
  return best;
}

/** Runs the plan's tasks in dependency order and emits the summary. */
export async function schedule(plan: Plan, options: ScheduleOptions): Promise<Summary> {
  const now = options.now ?? Date.now;
  const start = now();
  const limit = options.concurrency ?? 4;
  const { signal, emit } = options;
  const state = new Map<string, { outcome?: TaskOutcome; durationMs: number; reason?: string }>();
  const running = new Map<string, Promise<void>>();
  const inPlan = new Set(plan.tasks.map((t) => t.id));
  const finished = (id: string): boolean => state.get(id)?.outcome !== undefined;
  const good = (id: string): boolean => GOOD.includes(state.get(id)?.outcome ?? "");
  const rank = remainingChain(plan, options.depsOf);
  const ready = (task: PlannedTask): boolean =>
    !state.has(task.id) &&
    options.depsOf(task).filter((d) => inPlan.has(d)).every(good);
  const startable = (): boolean => {
    let changed = false;
    for (const task of plan.tasks) {
      if (state.has(task.id) || signal?.aborted) continue;
      const deps = options.depsOf(task).filter((d) => inPlan.has(d));
      const blocked = deps.find((d) => finished(d) && !good(d));
      if (blocked) {
        state.set(task.id, {
          outcome: "not-run",
          durationMs: 0,
          reason: `"${blocked}" did not complete`,
        });
        emit({ type: "task-done", task: task.id, outcome: "not-run", durationMs: 0 });
        changed = true;
        continue;
      }
      if (running.size >= limit || !deps.every(good)) continue;
      state.set(task.id, { durationMs: 0 });
      const t0 = now();
      emit({ type: "task-start", task: task.id });
      const ahead = plan.tasks.some((t) =>
        (running.has(t.id) || ready(t)) && rank.get(t.id)! > rank.get(task.id)!
      );
      running.set(
        task.id,
        options.exec(task, deps.map((d) => state.get(d)!.outcome!), { background: ahead }).then(
          (r) => {
            const durationMs = now() - t0;
            state.set(task.id, { outcome: r.outcome, durationMs, reason: r.reason });
            emit({ type: "task-done", task: task.id, outcome: r.outcome, durationMs });
          },
        ).finally(() => running.delete(task.id)),
      );
      changed = true;
    }
    return changed;
  };
  const started = (id: string): boolean => state.has(id) && (!finished(id) || good(id));
  /** the task on the longest chain still waiting for deps that have all started */
  const next = (): PlannedTask | undefined => {
    let best: PlannedTask | undefined;
    for (const task of plan.tasks) {
      if (state.has(task.id) || task.steps.length === 0) continue;
      const deps = options.depsOf(task).filter((d) => inPlan.has(d));
      // one only held back by the concurrency bound is not started early
      if (!deps.every(started) || deps.every(good)) continue;
      if (!best || rank.get(task.id)! > rank.get(best.id)!) best = task;
    }
    return best;
  };
  try {
    for (;;) {
      while (startable()) { /* mark and start until nothing changes */ }
      const upcoming = options.prestart && !signal?.aborted ? next() : undefined;
      if (upcoming) options.prestart!(upcoming);
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    await Promise.allSettled(running.values());
  }
  for (const t of plan.tasks) {
    if (!state.get(t.id)?.outcome) {
      state.set(t.id, {
        outcome: "not-run",
        durationMs: 0,
        reason: signal?.aborted ? "interrupted" : "not reached",
      });
    }
  }
  const tasks = plan.tasks.map((t) =>
    ({ id: t.id, ...state.get(t.id)! }) as Summary["tasks"][number]
  );
  const ok = tasks.every((t) => t.outcome !== "failed" && t.outcome !== "not-run");
  const summary: Summary = { ok, interrupted: !!signal?.aborted, durationMs: now() - start, tasks };
  emit({
    type: "summary",
    ok,
    durationMs: summary.durationMs,
    tasks: tasks.map((t) => ({
      id: t.id,
      outcome: t.outcome,
      durationMs: t.durationMs,
      ...(t.reason ? { reason: t.reason } : {}),
    })),
  });
  return summary;
}
