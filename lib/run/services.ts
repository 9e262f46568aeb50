/**
 * The run's shared services, and the `StepContext` each step gets from
 * them: the kube client, the event sink, the releases and prefetched reads,
 * temporary files, deadlines and guards.
 */
import type { PrestartedCommand } from "./prestart.ts";
import { StartupGate } from "./startup_gate.ts";
import type { CommandHooks, Kube, ReleaseState } from "../kube/kube.ts";
import type { ObjectState, RunEvent } from "../output/events.ts";
import type { Plan, PlannedTask, Step, StepGuard } from "../plan/plan.ts";
import type { EventBody, Prepared, StepContext, StepSettings } from "./executor.ts";
import { executorFor } from "./executors/mod.ts";
import { ChartCache } from "../kube/chart_cache.ts";
import { evaluateGuard } from "./guard.ts";
import { RunFiles } from "./run_files.ts";
import type { WaitOptions } from "./wait.ts";

export interface ServicesOptions {
  kube: Kube;
  emit(event: RunEvent): void;
  settings: StepSettings;
  /** the tasks `settings.force` applies to (default: every task) */
  forced?: ReadonlySet<string>;
  timeoutSeconds?: number;
  /** where the files commands name are kept (one folder per run) */
  runsDir: string;
  /** where repository charts are cached */
  chartsDir: string;
  signal?: AbortSignal;
  /**
   * Stops running commands (a second Ctrl-C); `signal` (the first) only
   * stops new work and waits. Without it, `signal` stops both.
   */
  killSignal?: AbortSignal;
  /** before the run's first change: preflight and the run lock (rejects when refused) */
  beforeChange?: () => Promise<void>;
  now?: () => number;
}

export class RunServices {
  readonly kube: Kube;
  readonly settings: StepSettings;
  readonly signal?: AbortSignal;
  readonly now: () => number;
  /** foreground process start-ups that background processes wait for */
  readonly startup: StartupGate = new StartupGate();
  releases = new Map<string, ReleaseState>();
  readonly #options: ServicesOptions;
  /**
   * The live state each step reads before acting, all read side by side when
   * the run starts. Sound because every object belongs to one step and only
   * that step of this run writes it; a step that finds its read stale acts
   * anyway (apply and label are idempotent).
   */
  readonly #prefetched = new Map<string, Promise<unknown>>();
  readonly #files: RunFiles;
  /** the first change's preflight and lock, then the releases read again under the lock */
  #gate?: Promise<void>;
  #locked = false;
  #prepared?: Prepared;
  readonly #charts: ChartCache;
  /** processes started early, by `task/step`, until their step takes them */
  readonly #prestarted = new Map<string, Promise<PrestartedCommand | undefined>>();
  /** aborted when the step takes (or the run drops) a process not yet started */
  readonly #prestartTaken = new Map<string, AbortController>();
  /** once the run drops what it started early, it starts nothing early again */
  #prestartsClosed = false;
  /** work that goes on after its step is done (StepContext.finishing) */
  readonly #finishing = new Set<Promise<void>>();

  /**
   * `prepared` may come later (`prepared = …`): a run begins before its
   * manifests are fetched, but no step observes before they are.
   */
  constructor(prepared: Prepared | undefined, options: ServicesOptions) {
    this.kube = options.kube;
    this.#prepared = prepared;
    this.settings = options.settings;
    this.signal = options.signal;
    this.now = options.now ?? Date.now;
    this.#options = options;
    this.#files = new RunFiles(options.runsDir);
    this.#charts = new ChartCache(options.chartsDir);
    // a first Ctrl-C lets running commands finish; one still at its gate has not begun
    options.signal?.addEventListener("abort", () => void this.cancelPrestarts(), { once: true });
  }

  /** The remote manifests and secret values (prepare.ts); set before any step observes. */
  get prepared(): Prepared {
    if (!this.#prepared) throw new Error("the run's manifests are not prepared yet");
    return this.#prepared;
  }

  set prepared(prepared: Prepared) {
    this.#prepared = prepared;
  }

  /**
   * Starts the first step of `task` early, when its executor can
   * (prestart.ts); resolves once its process is started, or is not.
   */
  prestart(task: PlannedTask): Promise<void> {
    const step = task.steps[0];
    const ex = step && executorFor(step);
    const key = step && `${task.id}/${step.id}`;
    if (
      !ex?.prestart || this.#prestarted.has(key) || this.signal?.aborted || this.#prestartsClosed
    ) return Promise.resolve();
    const ctx = this.forStep(task, step, { signal: this.signal });
    // a foreground release starting up has the CPU first (for a while: a
    // release without workloads holds it to its end); when this step acts
    // before then, it starts its own process
    const taken = new AbortController();
    this.#prestartTaken.set(key, taken);
    const dropped = this.signal ? AbortSignal.any([taken.signal, this.signal]) : taken.signal;
    const started = this.startup.quiet({ signal: dropped, maxWaitMs: PRESTART_QUIET_MS })
      .then(() => dropped.aborted ? undefined : ex.prestart!(ctx, step))
      .catch(() => undefined);
    this.#prestarted.set(key, started);
    return started.then(() => undefined);
  }

  /** Stops every process started early that no step took (it changed nothing). */
  async cancelPrestarts(): Promise<void> {
    this.#prestartsClosed = true;
    const left = [...this.#prestarted.entries()];
    this.#prestarted.clear();
    for (const taken of this.#prestartTaken.values()) taken.abort();
    this.#prestartTaken.clear();
    await Promise.all(left.map(async ([key, p]) => {
      const early = await p;
      if (!early || !(await early.cancel())) return;
      this.emit({
        type: "log",
        level: "info",
        task: key.slice(0, key.lastIndexOf("/")),
        message: `Stopped ${
          this.kube.redactor.redactArgv(early.argv).join(" ")
        } (started early, held at its gate): it changed nothing`,
      });
    }));
  }

  /** Waits for what goes on after steps are done (StepContext.finishing). */
  async finished(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing]);
  }

  emit(body: EventBody): void {
    this.#options.emit({ ...body, time: new Date().toISOString() } as RunEvent);
  }

  /** Starts every executor's early read, side by side. */
  prefetch(plan: Plan): void {
    for (const task of plan.tasks) {
      for (const step of task.steps) {
        const ex = executorFor(step);
        if (!ex.prefetch) continue;
        const read = ex.prefetch(this.forStep(task, step, { signal: this.signal }), step);
        if (read) this.#prefetched.set(`${task.id}/${step.id}`, read.catch(() => undefined));
      }
    }
  }

  /**
   * Opens the gate of the run's first change, once: the `beforeChange`
   * option (preflight, lock), then what was read before the lock is dropped
   * (early reads) or read again (releases): another run may have changed it.
   */
  beforeChange(): Promise<void> {
    const open = this.#options.beforeChange;
    if (!open) return Promise.resolve();
    this.#gate ??= (async () => {
      await open();
      this.#prefetched.clear();
      const fresh = await this.kube.releases({ signal: this.signal });
      this.releases.clear();
      for (const [k, v] of fresh) this.releases.set(k, v);
      this.#locked = true;
    })();
    return this.#gate;
  }

  hooks(
    task: string,
    step: string,
    options: { signal?: AbortSignal; background?: boolean } = {},
  ): CommandHooks {
    return {
      signal: options.signal,
      ...(options.background ? { background: true } : {}),
      ...eventHooks((body) => this.emit(body), task, step),
    };
  }

  /** The switches one task's steps honour: `--force` only within its scope. */
  settingsFor(task: string): StepSettings {
    const forced = this.#options.forced;
    if (!this.settings.force || !forced || forced.has(task)) return this.settings;
    return { ...this.settings, force: false };
  }

  /** Writes a file that a command of this run names; it is kept after the run. */
  writeRunFile(name: string, content: string): Promise<string> {
    return this.#files.write(name, content);
  }

  /**
   * The context of one step; `signal` is the task's (the run's, plus its
   * own waits); `background` lowers its processes' CPU priority.
   */
  forStep(
    task: PlannedTask,
    step: Step,
    placement: { signal?: AbortSignal; background?: boolean; startedUp?: () => void },
  ): StepContext {
    const signal = placement.signal;
    const timeoutMs = (): number =>
      (step.timeoutSeconds ?? this.#options.timeoutSeconds ?? 300) * 1000;
    const hooks = {
      ...this.hooks(task.id, step.id, {
        // a first Ctrl-C lets running commands finish; a second stops them
        signal: this.#options.killSignal ?? this.signal,
        background: placement.background,
      }),
      // a command's deadline: its step's, plus time for helm to give up on its own
      timeoutMs: timeoutMs() + COMMAND_GRACE_MS,
    };
    const readBeforeLock = !this.#locked && !!this.#options.beforeChange;
    const key = `${task.id}/${step.id}`;
    const prepared = (): Prepared => this.prepared;
    return {
      task,
      step,
      kube: this.kube,
      // read when used: a step started early (prestart) needs none
      get prepared(): Prepared {
        return prepared();
      },
      settings: this.settingsFor(task.id),
      releases: this.releases,
      signal,
      hooks,
      emit: (body) => this.emit(body),
      prefetched: () => {
        const read = this.#prefetched.get(key);
        this.#prefetched.delete(key);
        return read;
      },
      writeRunFile: (name, content) => this.writeRunFile(name, content),
      timeoutMs,
      waitOptions: (): WaitOptions => ({
        ...hooks,
        ...(signal ? { signal } : {}),
        subject: key,
        timeoutMs: timeoutMs(),
        onProgress: (pending: ObjectState[]) =>
          this.emit({ type: "wait", task: task.id, step: step.id, pending }),
      }),
      guard: (when: StepGuard) => evaluateGuard(this.kube, when, hooks),
      beforeChange: async () => {
        await this.beforeChange();
        return readBeforeLock;
      },
      localChart: (chart) => this.#charts.localChart(chart, this.signal),
      startupQuiet: async () => {
        if (placement.background) await this.startup.quiet({ signal: this.signal });
      },
      startedUp: () => placement.startedUp?.(),
      prestarted: () => {
        const p = this.#prestarted.get(key);
        this.#prestarted.delete(key);
        this.#prestartTaken.get(key)?.abort();
        this.#prestartTaken.delete(key);
        return p;
      },
      runFilePath: (name) => this.#files.path(name),
      finishing: (work) => {
        const tracked = work.catch(() => {}).finally(() => this.#finishing.delete(tracked));
        this.#finishing.add(tracked);
      },
    };
  }
}

/** Hooks that announce a command and its retries as `cmd` and `retry` events of `task`/`step`. */
export function eventHooks(
  emit: (body: EventBody) => void,
  task: string,
  step: string,
): Pick<CommandHooks, "onCommand" | "onRetry"> {
  return {
    onCommand: (argv) => emit({ type: "cmd", task, step, argv }),
    onRetry: (info) =>
      emit({
        type: "retry",
        task,
        step,
        attempt: info.attempt,
        delayMs: info.delayMs,
        reason: info.reason,
      }),
  };
}

/**
 * How long a process started early waits at most for a foreground release's
 * start-up: long enough to keep off the CPU while that release renders and
 * applies, short enough to be at its gate before that release is ready.
 */
export const PRESTART_QUIET_MS = 120;

/** How much longer than its step a command may run before it is stopped. */
const COMMAND_GRACE_MS = 60_000;
