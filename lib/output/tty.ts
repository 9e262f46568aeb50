/**
 * The `tty` view: a live task → step tree redrawn in place, folded to fit
 * the terminal (`_tty_tree.ts`); finished tasks collapsed to one line above
 * it, with a failed step's whole diagnosis (unready objects, pod reasons,
 * events), as the plain view prints it.
 */
import type { RunEvent, TaskOutcome } from "./events.ts";
import { shellQuote } from "../kube/argv.ts";
import type { ErrorDetails, Output, OutputOptions, Sink } from "./_sink.ts";
import {
  actionText,
  eventTime,
  fitAnsi,
  formatDuration,
  outcomeText,
  summaryText,
  waitingText,
  withNewline,
} from "./_text.ts";
import { type StepView, type TaskView, treeLines } from "./_tty_tree.ts";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class TtyView implements Output {
  #sink: Sink;
  #verbose: boolean;
  #now: () => Date;
  #columns: number;
  #rows: number;
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
    this.#columns = options.columns ?? consoleSize().columns;
    this.#rows = options.rows ?? consoleSize().rows;
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
        if (this.#verbose) above = c.dim(`${e.task} ${e.step} $ ${shellQuote(e.argv)}`) + "\n";
        break;
      case "wait":
        this.#step(this.#task(e.task), e.step).waiting = waitingText(e.pending);
        break;
      case "retry":
        if (!this.#tasks.some((t) => t.id === e.task)) {
          // a read of the run itself (not of a planned task): one line above the tree
          above = c.yellow(`${e.task} ${e.step}: attempt ${e.attempt} failed (${e.reason})`) + "\n";
          break;
        }
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
          result: `${actionText(e, c)} ${formatDuration(e.durationMs)}`,
        });
        break;
      case "step-failed": {
        const [first, ...rest] = e.error.split("\n");
        Object.assign(this.#step(this.#task(e.task), e.step), {
          state: "failed",
          result: first,
          detail: rest,
        });
        break;
      }
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
      case "error":
        this.error(e.message, e);
        return;
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

  error(message: string, details: ErrorDetails = {}): void {
    this.#sink.out(this.#erase());
    this.#liveLines = 0;
    this.#sink.err(this.#sink.errorText(message, details.hint));
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
      for (const line of step.detail ?? []) text += `    ${line}\n`;
    }
    return text;
  }

  /** The lines of the live area, folded to leave the terminal's last row free. */
  #live(): string[] {
    return treeLines(this.#tasks, {
      colors: this.#sink.colors,
      spin: SPINNER[this.#frame],
      now: this.#now().getTime(),
      maxLines: this.#rows - 1,
    });
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

function consoleSize(): { columns: number; rows: number } {
  try {
    const size = Deno.consoleSize();
    return { columns: size.columns || 100, rows: size.rows || 24 };
  } catch {
    return { columns: 100, rows: 24 };
  }
}
