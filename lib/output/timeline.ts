/**
 * A run as a Mermaid gantt chart (`--timeline FILE`): one section per task,
 * one bar per step from its `step-start` to its `step-done`, `step-skip` or
 * `step-failed`, and a bar for the step's wait from its first `wait` event to
 * the same end. Times are absolute epoch milliseconds (`dateFormat x`), so the
 * axis shows the local clock time of the run.
 *
 * Bars: a step that ran has no tag, a skipped (unchanged) step is `done`, a
 * failed step is `crit`, a wait is `active`, a step with no end (the events
 * stop first) is `active` and ends at the last event's time.
 */
import type { RunEvent } from "./events.ts";

export interface TimelineOptions {
  /** the chart's title (default: `meshup <target>` from the `plan` event, else none) */
  title?: string;
}

type StepEnd = "done" | "skipped" | "failed";

interface StepBar {
  id: string;
  start?: number;
  end?: number;
  outcome?: StepEnd;
  /** the first `wait` event's time */
  waitStart?: number;
}

/** Renders the events of one run as the text of a Mermaid gantt chart (a `.mmd` file). */
export function timelineGantt(events: readonly RunEvent[], options: TimelineOptions = {}): string {
  const tasks = new Map<string, Map<string, StepBar>>();
  const bar = (task: string, step: string): StepBar => {
    let steps = tasks.get(task);
    if (!steps) tasks.set(task, steps = new Map());
    let found = steps.get(step);
    if (!found) steps.set(step, found = { id: step });
    return found;
  };
  let title = options.title;
  let last: number | undefined;
  for (const e of events) {
    const at = Date.parse(e.time);
    if (Number.isNaN(at)) continue;
    last = Math.max(last ?? at, at);
    switch (e.type) {
      case "plan":
        title ??= `meshup ${e.target}`;
        break;
      case "step-start": {
        const b = bar(e.task, e.step);
        b.start ??= at;
        break;
      }
      case "wait": {
        const b = bar(e.task, e.step);
        b.waitStart ??= at;
        break;
      }
      case "step-done":
      case "step-failed":
        ended(bar(e.task, e.step), at, {
          outcome: e.type === "step-done" ? "done" : "failed",
          durationMs: e.durationMs,
        });
        break;
      case "step-skip":
        ended(bar(e.task, e.step), at, { outcome: "skipped", durationMs: 0 });
        break;
    }
  }
  const lines = ["gantt"];
  if (title) lines.push(`  title ${mermaidText(title)}`);
  lines.push("  dateFormat x", "  axisFormat %H:%M:%S");
  for (const [task, steps] of tasks) {
    const bars = [...steps.values()].filter((b) => b.start !== undefined);
    if (bars.length === 0) continue;
    lines.push(`  section ${mermaidText(task)}`);
    for (const b of bars) {
      const start = b.start!;
      const end = b.end ?? Math.max(start, last ?? start);
      const tag = b.outcome === "failed"
        ? "crit, "
        : b.outcome === "skipped"
        ? "done, "
        : b.outcome === undefined
        ? "active, "
        : "";
      lines.push(`  ${mermaidText(b.id)} :${tag}${start}, ${end}`);
      if (b.waitStart !== undefined && b.waitStart <= end) {
        lines.push(`  ${mermaidText(`${b.id} wait`)} :active, ${b.waitStart}, ${end}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}

function ended(b: StepBar, at: number, o: { outcome: StepEnd; durationMs: number }): void {
  b.end = at;
  b.outcome = o.outcome;
  // an end without a start (not expected from the runner): place it by its duration
  b.start ??= at - Math.max(0, o.durationMs);
  if (b.waitStart !== undefined && b.waitStart < b.start) b.waitStart = b.start;
}

/**
 * A name safe on a gantt line: `:` ends a task's name, `#` and `%%` start
 * comments and `;` ends a statement, so those become Mermaid entity codes
 * (`#58;` is drawn as `:`); line breaks become spaces.
 */
export function mermaidText(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/[#:;%]/g, (ch) => `#${ch.charCodeAt(0)};`)
    .trim();
}
