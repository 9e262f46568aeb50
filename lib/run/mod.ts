/**
 * Runs a Plan against a cluster: `runPlan` (up) and `downPlan` (down)
 * wire the shared services, the scheduler and the task runner. Emits typed
 * events; never writes to the console itself.
 */
import { readReleases } from "./first_read.ts";
import type { Kube, ReleaseState } from "../kube/kube.ts";
import type { RunEvent } from "../output/events.ts";
import type { Plan, PlannedTask } from "../plan/plan.ts";
import type { EventBody, Prepared } from "./executor.ts";
import { firstPrestart, schedule, type Summary } from "./scheduler.ts";
import { RunServices } from "./services.ts";
import { announcePurge, reportKept } from "./crd_inventory.ts";
import { guardDown, guardUp } from "./release_guard.ts";
import { runTask } from "./task_runner.ts";
import { forcedTasks } from "./force_scope.ts";
import { announceUpgrade, upgradeOrder } from "./upgrade_order.ts";

export type { Prepared } from "./executor.ts";
export type { Summary } from "./scheduler.ts";
export { prepare } from "./prepare.ts";
export { readReleases } from "./first_read.ts";
export { eventHooks } from "./services.ts";
export { isDefaultDenyCiliumPolicy, isDefaultDenyNetworkPolicy } from "./guard.ts";

export interface RunOptions {
  kube: Kube;
  emit(event: RunEvent): void;
  env: Readonly<Record<string, string | undefined>>;
  /** directory relative local paths are resolved against */
  cwd: string;
  /** where the files that commands name are kept (default `CWD/.cache/runs`) */
  runsDir?: string;
  /** where repository charts are cached (default `CWD/.cache/charts`) */
  chartsDir?: string;
  concurrency?: number;
  force?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** stops running commands (a second Ctrl-C; `signal` only stops new work) */
  killSignal?: AbortSignal;
  /** before the first change: preflight and the run lock (see lib/run/preflight.ts) */
  beforeChange?: () => Promise<void>;
  /** `down`: also delete CRDs */
  purgeCrds?: boolean;
  /** the run's first read (`readReleases`), when the caller has started it already */
  releases?: Promise<Map<string, ReleaseState>>;
  /** fetches a remote manifest (tests inject one) */
  fetchText?: (url: string) => Promise<string>;
  now?: () => number;
}

async function services(
  prepared: Prepared,
  options: RunOptions,
  forced?: ReadonlySet<string>,
): Promise<RunServices> {
  const s = new RunServices(prepared, {
    kube: options.kube,
    emit: options.emit,
    settings: { force: !!options.force, purgeCrds: !!options.purgeCrds },
    ...(forced ? { forced } : {}),
    timeoutSeconds: options.timeoutSeconds,
    runsDir: options.runsDir ?? `${options.cwd}/.cache/runs`,
    chartsDir: options.chartsDir ?? `${options.cwd}/.cache/charts`,
    signal: options.signal,
    killSignal: options.killSignal,
    beforeChange: options.beforeChange,
    now: options.now,
  });
  // the first read, which proves the cluster answers; announced like every
  // other command of the run (`--json` shows them all)
  s.releases = await (options.releases ??
    readReleases(options.kube, s.hooks("run", "releases", { signal: options.signal })));
  return s;
}

/** Runs `up`-direction plans. */
export async function runPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions,
): Promise<Summary> {
  // --force re-applies the target's own steps (an aggregate's members), not its deps'
  const forced = options.force ? forcedTasks(plan) : new Set<string>();
  const early = { ...plan, tasks: plan.tasks.filter((t) => !forced.has(t.id)) };
  const s = await services(prepared, options, forced);
  try {
    await guardUp(plan, s);
    // an Istio upgrade is refused (exit 2, nothing changed) or ordered as Istio documents it
    const order = upgradeOrder(plan, s.releases);
    announceUpgrade(order, (body) => s.emit(body));
    const depsOf = (t: PlannedTask): string[] => [...t.deps, ...(order.extraDeps.get(t.id) ?? [])];
    // the first release's process starts (held at its gate) before the early reads go out:
    // its start-up, not the first checks, is what the run waits for first
    const first = firstPrestart(plan, depsOf);
    if (first) s.prestart(first);
    s.prefetch(early);
    return await schedule(plan, {
      depsOf,
      exec: (task, depOutcomes, placement) =>
        runTask(s, task, { down: false, depOutcomes, ...placement }),
      emit: (body) => s.emit(body),
      prestart: (task) => s.prestart(task),
      concurrency: options.concurrency,
      signal: options.signal,
      now: options.now,
    });
  } finally {
    // a task that did not run (a dep failed, an interrupt) never opened its gate
    await s.cancelPrestarts();
  }
}

/** Tears down: dependents before their deps, steps in reverse. */
export async function downPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions,
): Promise<Summary> {
  const s = await services(prepared, options);
  // read the releases before they go: refusals, and the stack's CRDs
  const inventory = await guardDown(plan, s);
  await announcePurge(s, inventory);
  const dependents = new Map<string, string[]>();
  for (const t of plan.tasks) {
    for (const d of t.deps) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  }
  let last: EventBody | undefined;
  const summary = await schedule(plan, {
    depsOf: (t) => dependents.get(t.id) ?? [],
    exec: (task, depOutcomes, placement) =>
      runTask(s, task, { down: true, depOutcomes, ...placement }),
    // the summary waits for the count of what the kept CRDs still hold
    emit: (body) => body.type === "summary" ? void (last = body) : s.emit(body),
    concurrency: options.concurrency,
    signal: options.signal,
    now: options.now,
  });
  await reportKept(s, inventory).catch(() => undefined);
  if (last) s.emit(last);
  return summary;
}
