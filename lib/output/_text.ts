/**
 * Formatting shared by the plain and TTY views: colours, outcome labels, the
 * summary table, wait lines, durations, clock stamps and ANSI-aware cutting.
 */
import type { ObjectState, RunEvent, TaskOutcome } from "./events.ts";
import { shortRef } from "../run/diagnose.ts";
import { madeByText } from "../run/diagnose_maker.ts";

export type Style = (s: string) => string;

export interface Colors {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

export function colors(enabled: boolean): Colors {
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

export const OUTCOME_LABEL: Record<TaskOutcome, string> = {
  "done": "done",
  "unchanged": "unchanged",
  "failed": "failed",
  "skipped": "skipped",
  "not-run": "not run",
};

type StepDone = Extract<RunEvent, { type: "step-done" }>;

/**
 * A finished step's action: `applied`, `drift corrected: spec.tracing`,
 * `pruned Gateway/bookinfo/bookinfo-gateway`.
 */
export function actionText(e: StepDone, c: Colors): string {
  if (e.action === "corrected") {
    return c.yellow(`drift corrected: ${(e.fields ?? []).join(", ") || "(fields unknown)"}`);
  }
  if (e.action === "pruned" && e.objects?.length) {
    return c.yellow(`pruned ${e.objects.join(", ")}`);
  }
  return c.green(e.action);
}

export function outcomeText(outcome: TaskOutcome, c: Colors): string {
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
export function summaryText(e: SummaryEvent, target: string, c: Colors): string {
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

/**
 * `waiting for deploy/istiod: Available: 1/2 (+1 more)`; an object an
 * operator makes names it: `waiting for deploy/kiali: not created yet (made
 * by deploy/kiali-operator from kiali.io/Kiali/istio-system/kiali)`.
 */
export function waitingText(pending: ObjectState[]): string {
  const first = pending[0];
  if (!first) return "waiting";
  const { madeBy } = first.ref;
  const more = pending.length > 1 ? ` (+${pending.length - 1} more)` : "";
  if (madeBy && first.status === "NotFound") {
    const why = first.message === "deleted" ? "deleted" : "not created yet";
    return `waiting for ${shortRef(first.ref)}: ${why} (made by ${
      madeByText(madeBy, shortRef)
    })${more}`;
  }
  const status = first.status === "InProgress" ? "" : `${first.status}: `;
  return `waiting for ${shortRef(first.ref)}: ${status}${first.message}${more}`;
}

/** `0.4s`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "0.0s";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/** The event's own time, else the clock's (an event without a valid `time`). */
export function eventTime(e: RunEvent, now: () => Date): Date {
  const time = new Date(e.time);
  return Number.isNaN(time.getTime()) ? now() : time;
}

/** `HH:MM:SS`, local or UTC. */
export function clock(time: Date, utc: boolean): string {
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
export function fitAnsi(line: string, width: number): string {
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

/** The text, ending with exactly one added newline if it had none. */
export function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
