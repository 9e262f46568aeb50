/**
 * The live area of the TTY view as lines: running tasks with their steps,
 * folded as far as needed so that it never outgrows the terminal (a tree
 * taller than the screen scrolls, and redrawing it in place then fails).
 */
import { type Colors, formatDuration } from "./_text.ts";

export type StepState = "pending" | "running" | "done" | "skipped" | "failed";

export interface StepView {
  id: string;
  description: string;
  state: StepState;
  start?: number;
  /** `installed 1.2s`, `skipped: reason`, the error's first line */
  result?: string;
  /** the rest of a failed step's error: the diagnosis */
  detail?: string[];
  waiting?: string;
  retry?: string;
}

export interface TaskView {
  id: string;
  state: "queued" | "running" | "finished";
  start?: number;
  steps: StepView[];
}

export interface TreeOptions {
  colors: Colors;
  /** the spinner frame, uncoloured */
  spin: string;
  now: number;
  /** at most this many lines */
  maxLines: number;
}

/**
 * How much of a running task is shown, from the most to the least:
 * 0 every step and what it waits for; 1 finished and pending steps folded to
 * a count; 2 the running step's wait on the task line, nothing else.
 */
type Detail = 0 | 1 | 2;

/** The live area's lines, at the most detail that fits in `maxLines`. */
export function treeLines(tasks: readonly TaskView[], options: TreeOptions): string[] {
  const running = tasks.filter((t) => t.state === "running");
  const queued = tasks.filter((t) => t.state === "queued").map((t) => t.id);
  const max = Math.max(1, options.maxLines);
  for (const detail of [0, 1, 2] as const) {
    const lines = running.flatMap((t) => taskLines(t, detail, options));
    if (queued.length > 0 && lines.length > 0) {
      lines.push(options.colors.dim(`· queued: ${queued.join(", ")}`));
    }
    if (lines.length <= max || detail === 2) return cut(lines, running.length, max, options);
  }
  return [];
}

/** Still too tall at the least detail: one line per task as long as they fit, then a count. */
function cut(lines: string[], running: number, max: number, options: TreeOptions): string[] {
  if (lines.length <= max) return lines;
  const shown = lines.slice(0, max - 1);
  const hidden = running - Math.min(running, shown.length);
  const more = hidden > 0 ? `… ${hidden} more running` : "… more queued";
  return [...shown, options.colors.dim(more)];
}

function taskLines(task: TaskView, detail: Detail, o: TreeOptions): string[] {
  const c = o.colors;
  const spin = c.cyan(o.spin);
  const elapsed = task.start === undefined ? "" : formatDuration(o.now - task.start);
  const current = task.steps.find((s) => s.state === "running");
  if (detail === 2) {
    const what = current ? `  ${current.id}${current.waiting ? `: ${current.waiting}` : ""}` : "";
    return [`${spin} ${c.bold(task.id)}  ${c.dim(elapsed)}${c.dim(what)}`];
  }
  const lines = [`${spin} ${c.bold(task.id)}  ${c.dim(elapsed)}`];
  const width = Math.max(0, ...task.steps.map((s) => s.id.length));
  const finished = task.steps.filter((s) => s.state === "done" || s.state === "skipped");
  const pending = task.steps.filter((s) => s.state === "pending");
  if (detail === 1 && finished.length > 0) {
    lines.push(
      `  ${c.green("✓")} ${c.dim(`${finished.length} of ${task.steps.length} steps done`)}`,
    );
  }
  for (const step of task.steps) {
    const id = step.id.padEnd(width);
    switch (step.state) {
      case "pending":
        if (detail === 0) lines.push(c.dim(`  · ${id}  ${step.description}`));
        break;
      case "running": {
        const took = step.start === undefined ? "" : formatDuration(o.now - step.start);
        lines.push(`  ${spin} ${id}  ${step.description}  ${c.dim(took)}`);
        if (step.retry) lines.push(c.yellow(`      ${step.retry}`));
        if (step.waiting) lines.push(c.dim(`      ${step.waiting}`));
        break;
      }
      case "done":
        if (detail === 0) lines.push(`  ${c.green("✓")} ${c.dim(`${id}  ${step.result ?? ""}`)}`);
        break;
      case "skipped":
        if (detail === 0) lines.push(`  ${c.dim("–")} ${c.dim(`${id}  ${step.result ?? ""}`)}`);
        break;
      case "failed":
        lines.push(`  ${c.red("✗")} ${`${id}  ${step.result ?? ""}`}`);
        break;
    }
  }
  if (detail === 1 && pending.length > 0) {
    lines.push(c.dim(`  · ${pending.length} more steps`));
  }
  return lines;
}
