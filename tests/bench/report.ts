/**
 * What `deno task bench` prints, pure: the aligned tables and the last line
 * whose prefix DESIGN.md fixes. main.ts gathers the figures and writes the
 * strings; tests/bench/report_test.ts pins the formats.
 *
 * @module
 */
import type { TaskOverhead } from "./figures.ts";

/** The figures of the last line. */
export interface LineFigures {
  /** median install wall time over the critical path */
  installRatio: number;
  /** the how-to's serial script over the critical path */
  serialRatio: number;
  /** median no-op re-run wall time */
  noopMs: number;
  /** helm + kubectl processes of the no-op re-run (main.ts says which round) */
  noopProcs: number;
  detectP95Ms: number;
  /** ratios of the scale runs, appended after the documented prefix when present */
  scale?: ScaleRatios;
}

/** Large-cluster figures over small-cluster ones (e.g. 30 nodes over 3). */
export interface ScaleRatios {
  largeNodes: number;
  smallNodes: number;
  up: number;
  noop: number;
  verify: number;
}

/**
 * The last line: `bench: install/critical=<r> seed-script/critical=<r>
 * noop=<s>s noop-procs=<n> detect-p95=<ms>ms` (DESIGN.md, exact), then
 * ` scale30/3: up=<r> noop=<r> verify=<r>` when scale figures are given.
 */
export function benchLine(f: LineFigures): string {
  const line = `bench: install/critical=${f.installRatio.toFixed(2)} ` +
    `seed-script/critical=${f.serialRatio.toFixed(2)} ` +
    `noop=${(f.noopMs / 1000).toFixed(2)}s noop-procs=${f.noopProcs} ` +
    `detect-p95=${Math.round(f.detectP95Ms)}ms`;
  if (!f.scale) return line;
  const s = f.scale;
  return `${line} scale${s.largeNodes}/${s.smallNodes}: up=${s.up.toFixed(2)} ` +
    `noop=${s.noop.toFixed(2)} verify=${s.verify.toFixed(2)}`;
}

/** Rows of cells as aligned columns, two spaces apart, no trailing blanks. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

/** `1234 ms`; a dash for NaN. */
export function formatMs(ms: number): string {
  return Number.isNaN(ms) ? "-" : `${Math.round(ms)} ms`;
}

/** `+123 ms` / `-4 ms` / `0 ms`: a difference. */
function signedMs(ms: number): string {
  const r = Math.round(ms);
  return r > 0 ? `+${r} ms` : `${r} ms`;
}

/**
 * The per-task table of one run: when each task started against its
 * earliest start under the profile and after its last dep finished, how
 * long it took against what the profile makes it wait for, and the
 * difference (its overhead). `*` marks the critical path; the last row sums
 * the critical path's gaps, durations, costs and overheads after the start
 * of its first task, so that start + after deps + measured is the path's
 * finish.
 */
export function overheadRows(rows: readonly TaskOverhead[]): string[][] {
  const critical = rows.filter((r) => r.critical);
  const header = [
    "task (* critical path)",
    "start",
    "earliest",
    "late",
    "after deps",
    "measured",
    "profile",
    "overhead",
  ];
  return [
    header,
    ...rows.map((r) => [
      `${r.critical ? "* " : "  "}${r.task}`,
      formatMs(r.startMs),
      formatMs(r.earliestMs),
      signedMs(r.lateMs),
      formatMs(r.afterDepsMs),
      formatMs(r.measuredMs),
      formatMs(r.costMs),
      signedMs(r.overheadMs),
    ]),
    ...(critical.length
      ? [[
        "  critical path, summed",
        formatMs(critical[0].startMs),
        "",
        "",
        formatMs(critical.reduce((n, r) => n + r.afterDepsMs, 0)),
        formatMs(critical.reduce((n, r) => n + r.measuredMs, 0)),
        formatMs(critical.reduce((n, r) => n + r.costMs, 0)),
        signedMs(critical.reduce((n, r) => n + r.overheadMs, 0)),
      ]]
      : []),
  ];
}
