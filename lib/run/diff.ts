/**
 * `diff`: what `up` would change, read-only. The run's services are built
 * as for `up` (no lock, no preflight: nothing is changed), then each task's
 * steps go through guard, observe and decide as in a run; instead of
 * acting, each executor's `explain` says what acting would change (reads
 * and server-side dry-runs only). Tasks are read side by side; changes
 * come back in the plan's order.
 */
import { readReleases } from "./first_read.ts";
import { upgradeOrder } from "./upgrade_order.ts";
import { InputError } from "../errors.ts";
import type { Kube } from "../kube/kube.ts";
import { type Change, objectName, releaseName, type StepChange } from "../output/diff_view.ts";
import type { RunEvent } from "../output/events.ts";
import type { Plan, PlannedTask, Step } from "../plan/plan.ts";
import type { Prepared, StepContext } from "./executor.ts";
import { executorFor } from "./executors/mod.ts";
import { type Inventory, isEmpty, planInventory, pruneCandidates } from "./inventory.ts";
import { lastInventories, owned } from "./prune.ts";
import { RunServices } from "./services.ts";

export interface DiffOptions {
  kube: Kube;
  /** directory relative local paths are resolved against */
  cwd: string;
  /** commands and retries, as a run's `cmd` and `retry` events (`--verbose`) */
  emit?(event: RunEvent): void;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface DiffResult {
  /** in the plan's order: task by task, step by step */
  changes: StepChange[];
  /** what would stop `up` (a step that would fail), one line each */
  warnings: string[];
}

/** What `up` of the plan would change; changes nothing and takes no lock. */
export async function diffPlan(
  plan: Plan,
  prepared: Prepared,
  options: DiffOptions,
): Promise<DiffResult> {
  const s = new RunServices(prepared, {
    kube: options.kube,
    emit: options.emit ?? (() => {}),
    settings: { force: false, purgeCrds: false },
    timeoutSeconds: options.timeoutSeconds,
    runsDir: `${options.cwd}/.cache/runs`,
    chartsDir: `${options.cwd}/.cache/charts`,
    signal: options.signal,
  });
  // the early reads, side by side; a release's early "read" downloads its
  // chart, which a diff does not need
  s.prefetch({
    ...plan,
    tasks: plan.tasks.map((t) => ({
      ...t,
      steps: t.steps.filter((step) => step.kind !== "helm-release"),
    })),
  });
  s.releases = await readReleases(
    options.kube,
    s.hooks("diff", "releases", { signal: options.signal }),
  );
  // an Istio version change up would refuse (a skipped minor, a downgrade across minors)
  const refused: string[] = [];
  try {
    upgradeOrder(plan, s.releases);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    refused.push(`up would refuse this: ${e.message}${e.hint ? ` (${e.hint})` : ""}`);
  }
  const last = await lastInventories(s);
  const perTask = await Promise.all(plan.tasks.map(async (task) => {
    const [steps, pruned] = await Promise.all([diffTask(s, task), pruneChanges(s, task, last)]);
    return { changes: [...steps.changes, ...pruned], warnings: steps.warnings };
  }));
  return {
    changes: perTask.flatMap((r) => r.changes),
    warnings: [...refused, ...perTask.flatMap((r) => r.warnings)],
  };
}

async function diffTask(s: RunServices, task: PlannedTask): Promise<DiffResult> {
  const changes: StepChange[] = [];
  const warnings: string[] = [];
  for (const step of task.steps) {
    const ctx = s.forStep(task, step, { signal: s.signal });
    try {
      for (const c of await diffStep(ctx, step)) {
        changes.push({ ...c, task: task.id, step: step.id });
      }
    } catch (e) {
      if (s.signal?.aborted) throw e;
      const hint = e instanceof InputError && e.hint ? ` (hint: ${e.hint})` : "";
      const message = e instanceof Error ? e.message : String(e);
      warnings.push(
        s.kube.redactor.redact(`${task.id}/${step.id}: up would fail: ${message}${hint}`),
      );
    }
  }
  return { changes, warnings };
}

/** One step: guard, observe, decide, then what acting would change. */
async function diffStep(ctx: StepContext, step: Step): Promise<Change[]> {
  if (step.when && !(await ctx.guard(step.when))) return [];
  const ex = executorFor(step);
  const observed = await ex.observe(ctx, step);
  const decision = ex.decide(step, observed, ctx.settings);
  if (ex.explain) return await ex.explain(ctx, step, observed, decision);
  if ("skip" in decision || !(ex.changes?.(step, decision.act) ?? true)) return [];
  // a step kind that cannot say more: the step as a whole
  return [{ kind: "update", object: `meshup/Step/${ctx.task.id}/${step.id}`, fields: [] }];
}

/**
 * What pruning would remove (issue 10.3): per task, what its last
 * inventory holds and the plan no longer does, and is still there and
 * meshup's. A task whose plan applies nothing any more (a component turned
 * off) and its releases are `remove`; leftovers of a changed plan `prune`.
 */
async function pruneChanges(
  s: RunServices,
  task: PlannedTask,
  last: Map<string, Inventory>,
): Promise<StepChange[]> {
  const before = last.get(task.id);
  if (!before) return [];
  const planned = planInventory(task, s.prepared);
  const candidates = pruneCandidates(before, planned);
  if (isEmpty(candidates)) return [];
  const step: Step = { kind: "delete", id: "prune", description: "", objects: [] };
  const todo = await owned(s.forStep(task, step, { signal: s.signal }), candidates);
  const kind = isEmpty(planned) ? "remove" : "prune";
  const at = { task: task.id, step: "prune" };
  return [
    ...todo.labels.map((l): StepChange => ({
      ...at,
      kind,
      object: objectName(l.target),
      fields: [`metadata.labels.${l.key}`],
    })),
    ...todo.objects.map((o): StepChange => ({ ...at, kind, object: objectName(o), fields: [] })),
    ...todo.releases.map((r): StepChange => ({
      ...at,
      kind: "remove",
      object: releaseName(r.namespace, r.name),
      fields: [],
    })),
  ];
}
