/**
 * The `plain` view (CI, not a terminal): timestamped lines, throttled wait
 * progress, a summary table.
 */
import type { RunEvent } from "./events.ts";
import { shellQuote } from "../kube/argv.ts";
import type { ErrorDetails, Output, OutputOptions, Sink } from "./_sink.ts";
import {
  actionText,
  clock,
  eventTime,
  formatDuration,
  outcomeText,
  summaryText,
  waitingText,
  withNewline,
} from "./_text.ts";

/** Wait progress lines per step are at most this often, in event time. */
const WAIT_THROTTLE_MS = 5000;

export class PlainView implements Output {
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
        if (this.#verbose) this.#line(time, e.task, e.step, c.dim(`$ ${shellQuote(e.argv)}`));
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
        this.#line(time, e.task, e.step, `${actionText(e, c)} in ${formatDuration(e.durationMs)}`);
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
      case "error":
        this.error(e.message, e);
        return;
    }
  }

  close(): void {}

  error(message: string, details: ErrorDetails = {}): void {
    this.#sink.err(this.#sink.errorText(message, details.hint));
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
