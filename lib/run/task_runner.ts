/**
 * Runs one task's steps in order through their executors: observe ->
 * decide -> act -> wait. Waits of applied workloads run while the task's
 * next steps do; they are settled before a `wait` step and at the end.
 */
import type { TaskOutcome } from "../output/events.ts";
import type { PlannedTask, Step } from "../plan/plan.ts";
import { actResult, type StepContext, type StepResult } from "./executor.ts";
import { executorFor } from "./executors/mod.ts";
import { guardReason } from "./guard.ts";
import { dropTaskInventory, lastInventories, pruneTask } from "./prune.ts";
import type { TaskResult } from "./scheduler.ts";
import type { RunServices } from "./services.ts";

/** One step, `up`: guard, observe, decide, act, then start its wait. */
async function upStep(ctx: StepContext, step: Step): Promise<StepResult> {
  if (step.when && !(await ctx.guard(step.when))) {
    return { skip: { reason: guardReason(step.when), unchanged: false } };
  }
  const ex = executorFor(step);
  let observed = await ex.observe(ctx, step);
  let decision = ex.decide(step, observed, ctx.settings);
  // the first change takes the run lock; what was read before it is read again
  if ("act" in decision && (ex.changes?.(step, decision.act) ?? true) && await ctx.beforeChange()) {
    observed = await ex.observe(ctx, step);
    decision = ex.decide(step, observed, ctx.settings);
  }
  const result: StepResult = "skip" in decision
    ? { skip: decision.skip }
    : actResult(await ex.act(ctx, step, decision.act));
  const { ready } = await ex.wait?.(ctx, step, observed) ?? {};
  return ready ? { ...result, ready } : result;
}

/** One step, `down`: a kind whose CRD is gone has nothing left to delete. */
async function downStep(ctx: StepContext, step: Step): Promise<StepResult> {
  if (step.when?.type === "crd-exists" && !(await ctx.guard(step.when))) {
    return { skip: { reason: guardReason(step.when), unchanged: true } };
  }
  await ctx.beforeChange();
  return await executorFor(step).down(ctx, step);
}

/** Runs a task's steps (reversed for `down`) and reports its outcome. */
export async function runTask(
  services: RunServices,
  task: PlannedTask,
  options: { down: boolean; depOutcomes: TaskOutcome[]; background?: boolean },
): Promise<TaskResult> {
  const steps = options.down ? [...task.steps].reverse() : task.steps;
  const now = services.now;
  let changed = 0;
  let unchanged = 0;
  const drifted: string[] = [];
  // the last inventories: read once per run, side by side with the first steps
  if (!options.down) void lastInventories(services).catch(() => undefined);
  const deferred: { step: Step; t0: number; result: StepResult }[] = [];
  const stopWaits = new AbortController();
  const signal = services.signal
    ? AbortSignal.any([services.signal, stopWaits.signal])
    : stopWaits.signal;
  // a foreground release's start-up goes first: background processes wait for it
  const startedUp = !options.down && !options.background &&
      task.steps.some((s) => s.kind === "helm-release")
    ? services.startup.hold()
    : undefined;
  const finish = (step: Step, t0: number, r: StepResult): void => {
    if (r.skip) {
      if (r.skip.unchanged) unchanged++;
      services.emit({ type: "step-skip", task: task.id, step: step.id, reason: r.skip.reason });
      return;
    }
    // a passing check or a wait changes nothing in the cluster
    if (r.action === "checked" || r.action === "waited") unchanged++;
    else changed++;
    if (r.action === "corrected") drifted.push(...r.fields ?? []);
    services.emit({
      type: "step-done",
      task: task.id,
      step: step.id,
      action: r.action!,
      durationMs: now() - t0,
      ...(r.fields ? { fields: r.fields } : {}),
      ...(r.objects ? { objects: r.objects } : {}),
    });
  };
  const fail = (step: Step, t0: number, e: unknown): TaskResult => {
    stopWaits.abort();
    const aborted = services.signal?.aborted;
    const message = services.kube.redactor.redact(
      aborted ? "interrupted" : e instanceof Error ? withHint(e) : String(e),
    );
    services.emit({
      type: "step-failed",
      task: task.id,
      step: step.id,
      error: message,
      durationMs: now() - t0,
    });
    return { outcome: aborted ? "not-run" : "failed", reason: `step "${step.id}" failed` };
  };
  const settle = async (): Promise<TaskResult | undefined> => {
    while (deferred.length) {
      const { step, t0, result } = deferred.shift()!;
      const error = await result.ready;
      if (error) {
        await Promise.all(deferred.map((d) => d.result.ready));
        return fail(step, t0, error);
      }
      finish(step, t0, result);
    }
    return undefined;
  };
  try {
    // a background task's reads and applies also wait for a foreground start-up
    if (options.background && !options.down) {
      await services.startup.quiet({ signal: services.signal });
    }
    for (const step of steps) {
      if (services.signal?.aborted) return { outcome: "not-run", reason: "interrupted" };
      if (step.kind === "wait") {
        const failed = await settle();
        if (failed) return failed;
      }
      const t0 = now();
      services.emit({
        type: "step-start",
        task: task.id,
        step: step.id,
        kind: step.kind,
        description: step.description,
      });
      try {
        const ctx = services.forStep(task, step, {
          signal,
          background: !!options.background,
          ...(startedUp ? { startedUp } : {}),
        });
        const r = options.down ? await downStep(ctx, step) : await upStep(ctx, step);
        if (step.kind === "helm-release") startedUp?.();
        if (r.ready) deferred.push({ step, t0, result: r });
        else finish(step, t0, r);
      } catch (e) {
        await Promise.all(deferred.map((d) => d.result.ready));
        return fail(step, t0, e);
      }
    }
    const failed = await settle();
    if (failed) return failed;
    // the new objects are ready: what an earlier plan applied and this one
    // does not goes now (up); down drops the inventory with what it lists
    const t0 = now();
    const placement = { signal, background: !!options.background };
    try {
      if (options.down) await dropTaskInventory(services, task, placement);
      else changed += await pruneTask(services, task, placement);
    } catch (e) {
      return fail({ id: "prune" } as Step, t0, e);
    }
  } finally {
    startedUp?.();
    stopWaits.abort();
  }
  if (drifted.length) {
    return { outcome: "done", reason: `drift corrected: ${[...new Set(drifted)].join(", ")}` };
  }
  if (changed > 0) return { outcome: "done" };
  if (steps.length === 0) {
    // an aggregate reports what its deps did; a task with nothing to do is skipped
    if (task.deps.length === 0) {
      return { outcome: "skipped", reason: "nothing to do for this config" };
    }
    return { outcome: options.depOutcomes.includes("done") ? "done" : "unchanged" };
  }
  return { outcome: unchanged > 0 ? "unchanged" : "skipped" };
}

function withHint(e: Error): string {
  const hint = (e as { hint?: string }).hint;
  return hint ? `${e.message}\nhint: ${hint}` : e.message;
}
