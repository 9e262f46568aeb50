/** Errors and times as the CLI reports them before a run's output exists. */
import type { Io } from "./options.ts";

/**
 * An error before the run's output exists: text on stderr and, when
 * `--json` is among the arguments, the same as an `error` event on stdout.
 */
export function reportError(
  io: Io,
  args: readonly string[],
  e: { message: string; hint?: string; code: number },
): void {
  if (args.includes("--json")) {
    io.out(
      JSON.stringify({
        type: "error",
        time: now(),
        code: e.code,
        message: e.message,
        ...(e.hint ? { hint: e.hint } : {}),
      }) + "\n",
    );
  }
  io.err(`error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
}

/** Now, as events and reports stamp it. */
export function now(): string {
  return new Date().toISOString();
}
