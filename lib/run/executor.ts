/**
 * The contract between the task runner and the step executors: what a step
 * may use (`StepContext`) and what an executor does (`Executor`: observe the
 * live state, decide, act, wait). Executors import this module, the kube
 * layer and each other; nothing here knows the scheduler.
 */
import type { PrestartedCommand } from "./prestart.ts";
import type { RepoChart } from "../kube/chart_cache.ts";
import type { CommandHooks, Kube, ReleaseState } from "../kube/kube.ts";
import type { RunEvent, StepAction } from "../output/events.ts";
import type { Change } from "../output/diff_view.ts";
import type { PlannedTask, Step, StepGuard } from "../plan/plan.ts";
import type { WaitOptions } from "./wait.ts";

/** An event without its timestamp: the runner stamps it. */
export type EventBody = RunEvent extends infer E ? E extends RunEvent ? Omit<E, "time"> : never
  : never;

/** Everything resolved before the first cluster command: remote manifests, secrets. */
export interface Prepared {
  /** remote manifest text by URL */
  remote: Map<string, string>;
  /** the same manifests parsed, when `prepare` parsed them */
  remoteObjects?: Map<string, Record<string, unknown>[]>;
  secrets: Map<string, string>;
}

/** The run's switches that steps honour. */
export interface StepSettings {
  /** re-apply even when the fingerprint says unchanged */
  force: boolean;
  /** `down`: also delete CRDs */
  purgeCrds: boolean;
}

/** The services one step may use, scoped to that step. */
export interface StepContext {
  readonly task: PlannedTask;
  readonly step: Step;
  readonly kube: Kube;
  readonly prepared: Prepared;
  readonly settings: StepSettings;
  /** every Helm release's latest state, read when the run started and kept current */
  readonly releases: Map<string, ReleaseState>;
  /** the run's signal, also aborted when the task stops its waits */
  readonly signal?: AbortSignal;
  /** command, retry and abort hooks, tagged with this step */
  readonly hooks: CommandHooks;
  emit(body: EventBody): void;
  /** the live state read for this step when the run started; once, then undefined */
  prefetched(): Promise<unknown> | undefined;
  /** writes a file that a command of this step names (kept after the run) and returns its path */
  writeRunFile(name: string, content: string): Promise<string>;
  /** this step's deadline */
  timeoutMs(): number;
  /** options for `waitReady` that report progress as `wait` events */
  waitOptions(): WaitOptions;
  /** whether a step guard holds on the live cluster */
  guard(when: StepGuard): Promise<boolean>;
  /**
   * Called before the step changes the cluster: the run's first call runs
   * the preflight and takes the run lock (rejecting when refused); true when
   * this step read the cluster before the lock was held (observe again).
   */
  beforeChange(): Promise<boolean>;
  /** a repository chart's archive in the local chart cache, or undefined (then helm fetches it) */
  localChart(chart: RepoChart): Promise<string | undefined>;
  /**
   * Before a process starts: a background step waits (briefly) while a
   * foreground process is starting up (startup_gate.ts); at once otherwise.
   */
  startupQuiet(): Promise<void>;
  /** A foreground step's process is past its start-up: background processes may start. */
  startedUp(): void;
  /** this step's process if it was started early (prestart.ts); once, then undefined */
  prestarted(): Promise<PrestartedCommand | undefined> | undefined;
  /** a file path in this run's folder (not written) */
  runFilePath(name: string): Promise<string>;
  /**
   * What goes on after the step is done (a helm process exiting once it
   * has recorded its release): the run waits for it before it ends.
   */
  finishing(work: Promise<void>): void;
}

/** What a step did, or why it did nothing; `ready` settles when its workloads are. */
export interface StepResult {
  action?: StepAction;
  /** `corrected`: the drifted fields; with `objects`, the objects they are on */
  fields?: string[];
  objects?: string[];
  skip?: StepSkip;
  /** a wait still running: resolves to its error, or undefined once ready */
  ready?: Promise<unknown>;
}

/** An action with what it concerned (drift taken back: which fields of which objects). */
export interface ActOutcome {
  action: StepAction;
  fields?: string[];
  objects?: string[];
}

export interface StepSkip {
  reason: string;
  /** true when the step found its result already in place */
  unchanged: boolean;
}

/** The pure decision of an executor: leave the step, or act with a plan. */
export type Decision<A> = { skip: StepSkip } | { act: A };

/**
 * One step kind. `observe` reads the live state (or takes the prefetched
 * read), `decide` is pure (it may throw `InputError` for a state the user
 * must fix), `act` changes the cluster, `wait` starts the wait for what the
 * step brings up (blocking only where later steps need it at once).
 */
export interface Executor<S extends Step, O = unknown, A = unknown> {
  /**
   * An early read, side by side with every other step's, when the run
   * starts; undefined when this step cannot be read early (a guarded one).
   */
  prefetch?(ctx: StepContext, step: S): Promise<unknown> | undefined;
  /**
   * Starts the step's process before the step may act, held at a gate
   * (prestart.ts): only where the step will act but for its deps being
   * ready; undefined otherwise.
   */
  prestart?(ctx: StepContext, step: S): Promise<PrestartedCommand | undefined>;
  observe(ctx: StepContext, step: S): Promise<O>;
  decide(step: S, observed: O, settings: StepSettings): Decision<A>;
  /** whether `act` with this plan changes the cluster (default true); a read-only act needs no lock */
  changes?(step: S, plan: A): boolean;
  /** what it did: an action, or an action with the fields and objects it concerned */
  act(ctx: StepContext, step: S, plan: A): Promise<StepAction | ActOutcome>;
  /**
   * Starts waiting for what the step brings up; `ready` (a wait that goes
   * on while later steps run) resolves to its error, or undefined.
   */
  wait?(ctx: StepContext, step: S, observed: O): Promise<{ ready?: Promise<unknown> }>;
  /** `down`: undo what `up` did, if it is there */
  down(ctx: StepContext, step: S): Promise<StepResult>;
  /**
   * `diff`: what `act` would change, read-only (it may read and dry-run,
   * never write); given the decision too, so that a skipped step can still
   * report drift. Without it, an `act` decision is one `update` of the step.
   */
  explain?(ctx: StepContext, step: S, observed: O, decision: Decision<A>): Promise<Change[]>;
}

/** What `act` returned, as a step's result. */
export function actResult(done: StepAction | ActOutcome): StepResult {
  return typeof done === "string" ? { action: done } : { ...done };
}

/** A skip that found its result in place. */
export function unchanged(reason: string): { skip: StepSkip } {
  return { skip: { reason, unchanged: true } };
}

/** `timeoutMs` in whole seconds, as helm's `--timeout` wants it. */
export function timeoutSeconds(ctx: StepContext): number {
  return Math.round(ctx.timeoutMs() / 1000);
}
