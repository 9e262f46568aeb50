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
import { announceUpgrade, type UpgradeOrder, upgradeOrder } from "./upgrade_order.ts";

export type { Prepared } from "./executor.ts";
export type { Summary } from "./scheduler.ts";
export { prepare, readSecrets } from "./prepare.ts";
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

function newServices(
  prepared: Prepared | undefined,
  options: RunOptions,
  forced?: ReadonlySet<string>,
): RunServices {
  return new RunServices(prepared, {
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
}

/** The run's first read, which proves the cluster answers; announced like every other command. */
function firstRead(s: RunServices, options: RunOptions): Promise<Map<string, ReleaseState>> {
  return options.releases ??
    readReleases(options.kube, s.hooks("run", "releases", { signal: options.signal }));
}

/** An `up` run begun before its manifests are prepared ({@link beginRun}). */
export interface BegunRun {
  readonly services: RunServices;
  /** the tasks `--force` applies to */
  readonly forced: ReadonlySet<string>;
  /** the releases read, Flux's guard and the upgrade order; rejects when the run is refused */
  readonly ready: Promise<{ order: UpgradeOrder; depsOf: (t: PlannedTask) => string[] }>;
  /** settles once the first release's process is started, or it is clear that none is */
  readonly started: Promise<void>;
  /** Stops what was started early (it changed nothing): the run goes no further. */
  abandon(): Promise<void>;
}

/**
 * Begins an `up` run while the caller still prepares its manifests: the
 * releases read, Flux's guard, the upgrade order and, for a first install,
 * the first release's helm process, held at its gate (prestart.ts) until
 * its step acts. Nothing is changed before {@link runPlan} goes on with it.
 */
export function beginRun(plan: Plan, options: RunOptions): BegunRun {
  // --force re-applies the target's own steps (an aggregate's members), not its deps'
  const forced = options.force ? forcedTasks(plan) : new Set<string>();
  const s = newServices(undefined, options, forced);
  const ready = (async () => {
    s.releases = await firstRead(s, options);
    await guardUp(plan, s);
    // an Istio upgrade is refused (exit 2, nothing changed) or ordered as Istio documents it
    const order = upgradeOrder(plan, s.releases);
    const depsOf = (t: PlannedTask): string[] => [...t.deps, ...(order.extraDeps.get(t.id) ?? [])];
    // its start-up, not the first checks, is what the run waits for first: it
    // starts before the early reads go out
    const first = firstPrestart(plan, depsOf);
    if (first) await s.prestart(first);
    return { order, depsOf };
  })();
  ready.catch(() => {}); // runPlan awaits it; a failure to prepare is told first
  return {
    services: s,
    forced,
    ready,
    started: ready.then(() => {}, () => {}),
    abandon: () => s.cancelPrestarts(),
  };
}

/** Runs `up`-direction plans, from `options.begun` when the run was begun already. */
export async function runPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions & { begun?: BegunRun },
): Promise<Summary> {
  const begun = options.begun ?? beginRun(plan, options);
  const s = begun.services;
  s.prepared = prepared;
  try {
    const { order, depsOf } = await begun.ready;
    announceUpgrade(order, (body) => s.emit(body));
    s.prefetch({ ...plan, tasks: plan.tasks.filter((t) => !begun.forced.has(t.id)) });
    return await schedule(plan, {
      depsOf,
      exec: (task, depOutcomes, placement) =>
        runTask(s, task, { down: false, depOutcomes, ...placement }),
      emit: (body) => s.emit(body),
      prestart: (task) => void s.prestart(task),
      concurrency: options.concurrency,
      signal: options.signal,
      now: options.now,
    });
  } finally {
    // a task that did not run (a dep failed, an interrupt) never opened its gate
    await begun.abandon();
    await s.finished();
  }
}

/** Tears down: dependents before their deps, steps in reverse. */
export async function downPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions,
): Promise<Summary> {
  const s = newServices(prepared, options);
  s.releases = await firstRead(s, options);
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
