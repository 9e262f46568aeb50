/**
 * The only module that writes to the console. It renders the runner's typed
 * events (`lib/events.ts`) in one of three views:
 *
 * - `json`: one `JSON.stringify(event)` per line, nothing else on stdout;
 * - `plain` (CI, not a terminal): timestamped lines, throttled wait
 *   progress, a summary table;
 * - `tty`: a live task → step tree redrawn in place, finished tasks
 *   collapsed to one line above it.
 *
 * Every string written passes through the redactor, if one is given.
 */
import type { ObjectState, RunEvent, TaskOutcome } from "./events.ts";
import type { Redactor } from "./redact.ts";
import { shortRef } from "../run/diagnose.ts";
import { formatArgv } from "../kube/retry.ts";

export type OutputMode = "tty" | "plain" | "json";

export interface OutputOptions {
  /** stdout (default: `Deno.stdout`) */
  write?: (s: string) => void;
  /** stderr, for `error()` (default: `Deno.stderr`) */
  writeError?: (s: string) => void;
  /** the clock for elapsed times in the TTY view (default: `new Date()`) */
  now?: () => Date;
  /** ANSI colours (default: in `tty` mode unless `NO_COLOR` is set) */
  color?: boolean;
  /** show the commands run (`cmd` events) */
  verbose?: boolean;
  redactor?: Redactor;
  /** plain timestamps in UTC rather than local time */
  utc?: boolean;
  /**
   * TTY spinner period in ms; 0 disables the timer (call `tick()` instead).
   * Default: 100 when writing to the real stdout, 0 with an injected `write`.
   */
  spinnerMs?: number;
  /** TTY width (default: the console's, else 100) */
  columns?: number;
}

export interface Output {
  emit(e: RunEvent): void;
  /** stops the spinner and leaves the terminal as it should be; idempotent */
  close(): void;
  /** `error: <message>` and `  hint: <hint>` on stderr */
  error(message: string, hint?: string): void;
  /** free text for the user (stderr in `json` mode, so stdout stays NDJSON) */
  print(text: string): void;
  /** advances the TTY spinner and redraws; a no-op in other modes */
  tick(): void;
}

/** Creates the view for a mode. */
export function createOutput(mode: OutputMode, options: OutputOptions = {}): Output {
  const sink = new Sink(mode, options);
  if (mode === "json") return new JsonView(sink);
  if (mode === "plain") return new PlainView(sink, options);
  return new TtyView(sink, options);
}

// ---------------------------------------------------------------- sink

/** Where text goes: redacted, coloured or not. */
class Sink {
  readonly colors: Colors;
  #write: (s: string) => void;
  #writeError: (s: string) => void;
  #redactor: Redactor | undefined;

  constructor(mode: OutputMode, options: OutputOptions) {
    this.#write = options.write ?? writeStdout;
    this.#writeError = options.writeError ?? writeStderr;
    this.#redactor = options.redactor;
    this.colors = colors(options.color ?? (mode === "tty" && !noColor()));
  }

  out(text: string): void {
    if (text !== "") this.#write(this.#redact(text));
  }

  err(text: string): void {
    if (text !== "") this.#writeError(this.#redact(text));
  }

  event(e: RunEvent): RunEvent {
    return this.#redactor ? this.#redactor.redactValue(e) : e;
  }

  errorText(message: string, hint?: string): string {
    const c = this.colors;
    let text = `${c.red(c.bold("error"))}: ${message}\n`;
    if (hint) text += `  ${c.cyan("hint")}: ${hint}\n`;
    return text;
  }

  #redact(text: string): string {
    return this.#redactor ? this.#redactor.redact(text) : text;
  }
}

// ---------------------------------------------------------------- json

class JsonView implements Output {
  #sink: Sink;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  emit(e: RunEvent): void {
    this.#sink.out(JSON.stringify(this.#sink.event(e)) + "\n");
  }

  close(): void {}

  error(message: string, hint?: string): void {
    this.#sink.err(this.#sink.errorText(message, hint));
  }

  print(text: string): void {
    this.#sink.err(withNewline(text));
  }

  tick(): void {}
}

// ---------------------------------------------------------------- plain

/** Wait progress lines per step are at most this often, in event time. */
const WAIT_THROTTLE_MS = 5000;

class PlainView implements Output {
  #sink: Sink;
  #verbose: boolean;
  #utc: boolean;
  #now: () => Date;
  #target = "run";
  #taskWidth = 0;
  #stepWidth = 0;
  #lastWait = new Map<string, number>();

  constructor(sink: Sink, options: OutputOptions) {
    this.#sink = sink;
    this.#verbose = options.verbose ?? false;
    this.#utc = options.utc ?? false;
    this.#now = options.now ?? (() => new Date());
  }

  emit(event: RunEvent): void {
    const e = this.#sink.event(event);
    const c = this.#sink.colors;
    const time = eventTime(e, this.#now);
    switch (e.type) {
      case "plan": {
        this.#target = e.target;
        this.#taskWidth = Math.max(0, ...e.tasks.map((t) => t.id.length));
        this.#stepWidth = Math.max(0, ...e.tasks.flatMap((t) => t.steps.map((s) => s.id.length)));
        const steps = e.tasks.reduce((n, t) => n + t.steps.length, 0);
        this.#line(
          time,
          undefined,
          undefined,
          `plan ${e.target}: ${e.tasks.length} tasks, ${steps} steps`,
        );
        return;
      }
      case "context":
        this.#line(time, undefined, undefined, `context ${e.context} at ${e.server}`);
        return;
      case "task-start":
        return;
      case "step-start":
        this.#lastWait.delete(`${e.task}\0${e.step}`);
        this.#line(time, e.task, e.step, e.description);
        return;
      case "cmd":
        if (this.#verbose) this.#line(time, e.task, e.step, c.dim(`$ ${formatArgv(e.argv)}`));
        return;
      case "wait": {
        const key = `${e.task}\0${e.step}`;
        const at = time.getTime();
        const last = this.#lastWait.get(key);
        if (last !== undefined && at - last < WAIT_THROTTLE_MS) return;
        this.#lastWait.set(key, at);
        this.#line(time, e.task, e.step, waitingText(e.pending));
        return;
      }
      case "step-skip":
        this.#line(time, e.task, e.step, c.dim(`skipped: ${e.reason}`));
        return;
      case "step-done":
        this.#line(time, e.task, e.step, `${c.green(e.action)} in ${formatDuration(e.durationMs)}`);
        return;
      case "step-failed": {
        const [first, ...rest] = e.error.split("\n");
        this.#line(
          time,
          e.task,
          e.step,
          `${c.red("failed")} after ${formatDuration(e.durationMs)}: ${first}`,
        );
        for (const line of rest) this.#sink.out(`    ${line}\n`);
        return;
      }
      case "retry":
        this.#line(
          time,
          e.task,
          e.step,
          c.yellow(
            `attempt ${e.attempt} failed (${e.reason}), retrying in ${formatDuration(e.delayMs)}`,
          ),
        );
        return;
      case "task-done":
        this.#line(
          time,
          e.task,
          undefined,
          `${outcomeText(e.outcome, c)} in ${formatDuration(e.durationMs)}`,
        );
        return;
      case "log": {
        const text = e.level === "warn" ? c.yellow(`warning: ${e.message}`) : e.message;
        this.#line(time, e.task, undefined, text);
        return;
      }
      case "summary":
        this.#sink.out(summaryText(e, this.#target, c));
        return;
    }
  }

  close(): void {}

  error(message: string, hint?: string): void {
    this.#sink.err(this.#sink.errorText(message, hint));
  }

  print(text: string): void {
    this.#sink.out(withNewline(text));
  }

  tick(): void {}

  #line(time: Date, task: string | undefined, step: string | undefined, message: string): void {
    const stamp = this.#sink.colors.dim(clock(time, this.#utc));
    if (task === undefined) {
      this.#sink.out(`${stamp} ${message}\n`);
      return;
    }
    const taskCol = this.#sink.colors.bold(task.padEnd(this.#taskWidth));
    const stepCol = (step ?? "").padEnd(this.#stepWidth);
    this.#sink.out(`${stamp} ${taskCol}  ${stepCol}  ${message}\n`);
  }
}

// ---------------------------------------------------------------- tty

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

type StepState = "pending" | "running" | "done" | "skipped" | "failed";

interface StepView {
  id: string;
  description: string;
  state: StepState;
  start?: number;
  /** `installed 1.2s`, `skipped: reason`, the error's first line */
  result?: string;
  waiting?: string;
  retry?: string;
}

interface TaskView {
  id: string;
  state: "queued" | "running" | "finished";
  start?: number;
  steps: StepView[];
}

class TtyView implements Output {
  #sink: Sink;
  #verbose: boolean;
  #now: () => Date;
  #columns: number;
  #tasks: TaskView[] = [];
  #target = "run";
  #frame = 0;
  #liveLines = 0;
  #cursorHidden = false;
  #spinnerMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(sink: Sink, options: OutputOptions) {
    this.#sink = sink;
    this.#verbose = options.verbose ?? false;
    this.#now = options.now ?? (() => new Date());
    this.#columns = options.columns ?? consoleColumns();
    this.#spinnerMs = options.spinnerMs ?? (options.write ? 0 : 100);
  }

  emit(event: RunEvent): void {
    if (this.#closed) return;
    const e = this.#sink.event(event);
    const c = this.#sink.colors;
    const at = eventTime(e, this.#now).getTime();
    let above = "";
    switch (e.type) {
      case "plan":
        this.#target = e.target;
        for (const t of e.tasks) {
          const task = this.#task(t.id);
          for (const s of t.steps) this.#step(task, s.id).description = s.description;
        }
        above = `${c.bold(`meshup ${e.target}`)}: ${e.tasks.length} tasks\n`;
        break;
      case "context":
        above = c.dim(`context ${e.context} at ${e.server}`) + "\n";
        break;
      case "task-start":
        this.#started(this.#task(e.task), at);
        break;
      case "step-start": {
        const task = this.#task(e.task);
        this.#started(task, at);
        const step = this.#step(task, e.step);
        Object.assign(step, { description: e.description, state: "running", start: at });
        step.waiting = step.retry = undefined;
        break;
      }
      case "cmd":
        if (this.#verbose) above = c.dim(`${e.task} ${e.step} $ ${formatArgv(e.argv)}`) + "\n";
        break;
      case "wait":
        this.#step(this.#task(e.task), e.step).waiting = waitingText(e.pending);
        break;
      case "retry":
        this.#step(this.#task(e.task), e.step).retry =
          `attempt ${e.attempt} failed (${e.reason}), retrying in ${formatDuration(e.delayMs)}`;
        break;
      case "step-skip":
        Object.assign(this.#step(this.#task(e.task), e.step), {
          state: "skipped",
          result: `skipped: ${e.reason}`,
        });
        break;
      case "step-done":
        Object.assign(this.#step(this.#task(e.task), e.step), {
          state: "done",
          result: `${e.action} ${formatDuration(e.durationMs)}`,
        });
        break;
      case "step-failed":
        Object.assign(this.#step(this.#task(e.task), e.step), {
          state: "failed",
          result: e.error.split("\n")[0],
        });
        break;
      case "task-done": {
        const task = this.#task(e.task);
        task.state = "finished";
        above = this.#collapsed(task, e.outcome, e.durationMs);
        break;
      }
      case "log":
        above = (e.level === "warn" ? c.yellow(`warning: ${e.message}`) : e.message) + "\n";
        break;
      case "summary":
        for (const task of this.#tasks) task.state = "finished";
        above = summaryText(e, this.#target, c);
        break;
    }
    this.#startTimer();
    this.#redraw(above);
  }

  tick(): void {
    if (this.#closed) return;
    this.#frame = (this.#frame + 1) % SPINNER.length;
    if (this.#liveLines > 0 || this.#live().length > 0) this.#redraw("");
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    // Leave the last frame on screen: an interrupted run shows where it was.
    if (this.#cursorHidden) this.#sink.out("\x1b[?25h");
    this.#cursorHidden = false;
    this.#liveLines = 0;
  }

  error(message: string, hint?: string): void {
    this.#sink.out(this.#erase());
    this.#liveLines = 0;
    this.#sink.err(this.#sink.errorText(message, hint));
    this.#redraw("");
  }

  print(text: string): void {
    this.#redraw(withNewline(text));
  }

  #task(id: string): TaskView {
    let task = this.#tasks.find((t) => t.id === id);
    if (!task) {
      task = { id, state: "queued", steps: [] };
      this.#tasks.push(task);
    }
    return task;
  }

  #step(task: TaskView, id: string): StepView {
    let step = task.steps.find((s) => s.id === id);
    if (!step) {
      step = { id, description: "", state: "pending" };
      task.steps.push(step);
    }
    return step;
  }

  #started(task: TaskView, at: number): void {
    if (task.state !== "queued") return;
    task.state = "running";
    task.start = at;
  }

  #collapsed(task: TaskView, outcome: TaskOutcome, durationMs: number): string {
    const c = this.#sink.colors;
    const mark = outcome === "done" ? c.green("✓") : outcome === "failed" ? c.red("✗") : c.dim("–");
    let text = `${mark} ${c.bold(task.id)}  ${outcomeText(outcome, c)} ${
      c.dim(formatDuration(durationMs))
    }\n`;
    for (const step of task.steps.filter((s) => s.state === "failed")) {
      text += `  ${c.red("✗")} ${step.id}: ${step.result ?? "failed"}\n`;
    }
    return text;
  }

  /** The lines of the live area, uncoloured segments styled at the end. */
  #live(): string[] {
    const c = this.#sink.colors;
    const spin = c.cyan(SPINNER[this.#frame]);
    const now = this.#now().getTime();
    const lines: string[] = [];
    for (const task of this.#tasks.filter((t) => t.state === "running")) {
      const elapsed = task.start === undefined ? "" : formatDuration(now - task.start);
      lines.push(`${spin} ${c.bold(task.id)}  ${c.dim(elapsed)}`);
      const width = Math.max(0, ...task.steps.map((s) => s.id.length));
      for (const step of task.steps) {
        const id = step.id.padEnd(width);
        switch (step.state) {
          case "pending":
            lines.push(c.dim(`  · ${id}  ${step.description}`));
            break;
          case "running": {
            const took = step.start === undefined ? "" : formatDuration(now - step.start);
            lines.push(`  ${spin} ${id}  ${step.description}  ${c.dim(took)}`);
            if (step.retry) lines.push(c.yellow(`      ${step.retry}`));
            if (step.waiting) lines.push(c.dim(`      ${step.waiting}`));
            break;
          }
          case "done":
            lines.push(`  ${c.green("✓")} ${c.dim(`${id}  ${step.result ?? ""}`)}`);
            break;
          case "skipped":
            lines.push(`  ${c.dim("–")} ${c.dim(`${id}  ${step.result ?? ""}`)}`);
            break;
          case "failed":
            lines.push(`  ${c.red("✗")} ${`${id}  ${step.result ?? ""}`}`);
            break;
        }
      }
    }
    const queued = this.#tasks.filter((t) => t.state === "queued").map((t) => t.id);
    if (queued.length > 0 && lines.length > 0) {
      lines.push(c.dim(`· queued: ${queued.join(", ")}`));
    }
    return lines;
  }

  #erase(): string {
    return this.#liveLines > 0 ? `\x1b[${this.#liveLines}A\r\x1b[J` : "";
  }

  /** One write: erase the live area, print `above` for good, draw the live area. */
  #redraw(above: string): void {
    const lines = this.#live();
    let text = this.#erase() + above;
    if (lines.length > 0 && !this.#cursorHidden) {
      text = "\x1b[?25l" + text;
      this.#cursorHidden = true;
    }
    // A wrapped line would break the cursor arithmetic: cut each to the width.
    const width = Math.max(20, this.#columns - 1);
    text += lines.map((l) => fitAnsi(l, width) + "\n").join("");
    this.#liveLines = lines.length;
    this.#sink.out(text);
  }

  #startTimer(): void {
    if (this.#spinnerMs <= 0 || this.#timer !== undefined || this.#closed) return;
    const timer = setInterval(() => this.tick(), this.#spinnerMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

// ---------------------------------------------------------------- shared

type Style = (s: string) => string;

interface Colors {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

function colors(enabled: boolean): Colors {
  const style = (open: number, close: number): Style =>
    enabled ? (s: string) => (s === "" ? s : `\x1b[${open}m${s}\x1b[${close}m`) : (s: string) => s;
  return {
    bold: style(1, 22),
    dim: style(2, 22),
    red: style(31, 39),
    green: style(32, 39),
    yellow: style(33, 39),
    cyan: style(36, 39),
  };
}

const OUTCOME_LABEL: Record<TaskOutcome, string> = {
  "done": "done",
  "unchanged": "unchanged",
  "failed": "failed",
  "skipped": "skipped",
  "not-run": "not run",
};

function outcomeText(outcome: TaskOutcome, c: Colors): string {
  const label = OUTCOME_LABEL[outcome];
  if (outcome === "done") return c.green(label);
  if (outcome === "failed") return c.red(label);
  if (outcome === "unchanged") return c.dim(label);
  return c.yellow(label);
}

type SummaryEvent = Extract<RunEvent, { type: "summary" }>;

/**
 * The table (task, outcome, duration, reason) and the last line:
 * `up: 7 done, 2 unchanged, 1 failed, 3 not run in 12.3s`.
 */
function summaryText(e: SummaryEvent, target: string, c: Colors): string {
  const rows = e.tasks.map((t) => ({
    id: t.id,
    outcome: t.outcome,
    duration: t.outcome === "not-run" || (t.outcome === "skipped" && t.durationMs === 0)
      ? "-"
      : formatDuration(t.durationMs),
    reason: t.reason ? t.reason.split("\n")[0] : "",
  }));
  const idWidth = Math.max(4, ...rows.map((r) => r.id.length));
  const outcomeWidth = Math.max(7, ...rows.map((r) => OUTCOME_LABEL[r.outcome].length));
  const durationWidth = Math.max(8, ...rows.map((r) => r.duration.length));
  const lines = [
    c.dim(
      `${"task".padEnd(idWidth)}  ${"outcome".padEnd(outcomeWidth)}  ${
        "duration".padStart(durationWidth)
      }`,
    ),
  ];
  for (const r of rows) {
    const label = OUTCOME_LABEL[r.outcome];
    const outcome = outcomeText(r.outcome, c) + " ".repeat(outcomeWidth - label.length);
    const reason = r.reason ? `  ${c.dim(r.reason)}` : "";
    lines.push(
      `${r.id.padEnd(idWidth)}  ${outcome}  ${r.duration.padStart(durationWidth)}${reason}`,
    );
  }
  const counts = (Object.keys(OUTCOME_LABEL) as TaskOutcome[])
    .map((outcome) => [outcome, e.tasks.filter((t) => t.outcome === outcome).length] as const)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${n} ${OUTCOME_LABEL[outcome]}`);
  const tally = counts.length > 0 ? counts.join(", ") : "0 done";
  const last = `${target}: ${tally} in ${formatDuration(e.durationMs)}`;
  lines.push(e.ok ? c.bold(last) : c.bold(c.red(last)));
  return lines.map((l) => l + "\n").join("");
}

/** `waiting for deploy/istiod: Available: 1/2 (+1 more)`. */
function waitingText(pending: ObjectState[]): string {
  const first = pending[0];
  if (!first) return "waiting";
  const status = first.status === "InProgress" ? "" : `${first.status}: `;
  const more = pending.length > 1 ? ` (+${pending.length - 1} more)` : "";
  return `waiting for ${shortRef(first.ref)}: ${status}${first.message}${more}`;
}

/** `0.4s`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "0.0s";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

function eventTime(e: RunEvent, now: () => Date): Date {
  const time = new Date(e.time);
  return Number.isNaN(time.getTime()) ? now() : time;
}

function clock(time: Date, utc: boolean): string {
  const parts = utc
    ? [time.getUTCHours(), time.getUTCMinutes(), time.getUTCSeconds()]
    : [time.getHours(), time.getMinutes(), time.getSeconds()];
  return parts.map((n) => String(n).padStart(2, "0")).join(":");
}

// deno-lint-ignore no-control-regex -- matching ANSI escape sequences is the point
const ANSI_AT_START = /^\x1b\[[0-9;?]*[A-Za-z]/;
// deno-lint-ignore no-control-regex -- likewise
const ANSI_ALL = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Cuts a line to `width` visible characters, keeping ANSI sequences intact. */
function fitAnsi(line: string, width: number): string {
  let visible = 0;
  let out = "";
  let styled = false;
  for (let i = 0; i < line.length;) {
    const escape = ANSI_AT_START.exec(line.slice(i, i + 16));
    if (escape) {
      out += escape[0];
      styled = true;
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (visible === width - 1 && visibleLength(line.slice(i)) > 1) {
      return out + "…" + (styled ? "\x1b[0m" : "");
    }
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}

function visibleLength(text: string): number {
  return [...text.replace(ANSI_ALL, "")].length;
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function noColor(): boolean {
  return Deno.noColor;
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100;
  }
}

const encoder = new TextEncoder();

/** Set once the reader went away (`meshup up | head`): further output is dropped. */
let pipeClosed = false;

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  if (pipeClosed) return;
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    pipeClosed = true;
  }
}

function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

function writeStderr(text: string): void {
  writeAll(Deno.stderr, text);
}
