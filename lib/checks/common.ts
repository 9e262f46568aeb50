/**
 * The shape shared by `doctor` (preflight) and `verify` (post-install
 * proof): a check is a named async predicate whose result is pass, warn or
 * fail with a one-line detail and, when something is to be done, a hint.
 * Checks run concurrently with a bound; a check that throws fails with the
 * error's message. Formatting is pure: the caller decides where text goes.
 */
import { MissingBinaryError } from "../kube/process.ts";
import { CommandError } from "../kube/retry.ts";

export type CheckStatus = "pass" | "warn" | "fail";

export interface CheckResult {
  /** stable, kebab-case: `k8s-version`, `gateway-selector` */
  id: string;
  /** short, for people: `k8s version` */
  title: string;
  status: CheckStatus;
  /** one line: what was found */
  detail: string;
  /** one line: what to do about it */
  hint?: string;
  /** per-item rows (the mesh checks: namespace, workload, node, protocol, waypoint), for `--json` */
  table?: Record<string, string>[];
}

/** What a check's body returns; id and title come from the check. */
export type CheckOutcome = Omit<CheckResult, "id" | "title">;

export interface Check {
  id: string;
  title: string;
  run(): Promise<CheckOutcome>;
}

export interface RunChecksOptions {
  /** checks running at once (default 8) */
  concurrency?: number;
}

/**
 * Runs checks with at most `concurrency` at once; results keep the order of
 * `checks`. A check that throws becomes a `fail` whose detail is the error.
 */
export async function runChecks(
  checks: readonly Check[],
  options: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const results = new Array<CheckResult>(checks.length);
  const limit = Math.max(1, options.concurrency ?? 8);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < checks.length) {
      const i = next++;
      const check = checks[i];
      let outcome: CheckOutcome;
      try {
        outcome = await check.run();
      } catch (e) {
        outcome = failFromError(e);
      }
      results[i] = { id: check.id, title: check.title, ...outcome };
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, checks.length) }, () => worker()));
  return results;
}

/** A thrown error as a `fail`: the command and its stderr's last line, or the message. */
export function failFromError(e: unknown): CheckOutcome {
  if (e instanceof CommandError) {
    const last = e.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1);
    return {
      status: "fail",
      detail: `${e.argv.slice(0, 3).join(" ")} failed (exit code ${e.exitCode ?? "none"})${
        last ? `: ${last}` : ""
      }`,
      hint: `run it by hand to see more: ${e.argv.join(" ")}`,
    };
  }
  if (e instanceof MissingBinaryError) {
    return {
      status: "fail",
      detail: e.message,
      hint: `install ${e.tool} and put it on PATH`,
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { status: "fail", detail: oneLine(message) };
}

/** 1 when any check failed, else 0 (warnings do not fail). */
export function checksExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === "fail") ? 1 : 0;
}

export interface FormatChecksOptions {
  /** ANSI colours on the status column (default false) */
  color?: boolean;
  /** first word of the summary line (default `doctor`) */
  label?: string;
}

const SYMBOLS: Record<CheckStatus, string> = { pass: "✓", warn: "!", fail: "✗" };
const COLORS: Record<CheckStatus, string> = { pass: "32", warn: "33", fail: "31" };

/**
 * An aligned list, one check a line, hints indented under their check, and
 * a summary line:
 *
 * ```
 * ✓ pass  k8s version  v1.35.0 is supported by Istio 1.30 (1.32-1.36)
 * ! warn  Istio line   1.27 is near its end of life
 *         hint: set istio.version to a 1.30 release
 * doctor: 12 passed, 1 warning, 0 failed
 * ```
 */
export function formatChecks(
  results: readonly CheckResult[],
  options: FormatChecksOptions = {},
): string {
  const width = Math.max(0, ...results.map((r) => [...r.title].length));
  const indent = " ".repeat(8);
  const lines: string[] = [];
  for (const r of results) {
    const head = `${SYMBOLS[r.status]} ${r.status}`;
    const shown = options.color ? `\x1b[${COLORS[r.status]}m${head}\x1b[0m` : head;
    const title = r.title + " ".repeat(width - [...r.title].length);
    lines.push(`${shown}  ${title}  ${oneLine(r.detail)}`.trimEnd());
    if (r.hint) lines.push(`${indent}hint: ${oneLine(r.hint)}`);
  }
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  const warnings = count("warn");
  lines.push(
    `${options.label ?? "doctor"}: ${count("pass")} passed, ${warnings} ${
      warnings === 1 ? "warning" : "warnings"
    }, ${count("fail")} failed`,
  );
  return lines.join("\n") + "\n";
}

function oneLine(s: string): string {
  return s.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
}

/** Runs each keyed read once and shares its promise (checks often need the same object). */
export class Memo {
  readonly #values = new Map<string, Promise<unknown>>();

  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.#values.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.#values.set(key, p);
    }
    return p;
  }
}
