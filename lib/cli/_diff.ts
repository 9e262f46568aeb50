/**
 * `diff [target] [--json] [--exit-code]`: what `up` would change, read-only
 * and without the run lock. Readable lines by default (coloured on a
 * terminal), one `change` event per line and a summary with `--json`; with
 * `--exit-code`, exit 3 when anything would change.
 */
import { EXIT_OK, InputError } from "../errors.ts";
import { connect, type Connection } from "../kube/connect.ts";
import { MissingBinaryError, type ProcessRunner } from "../kube/process.ts";
import { diffJson, formatDiff } from "../output/diff_view.ts";
import { Redactor } from "../output/redact.ts";
import type { Plan } from "../plan/plan.ts";
import { diffPlan } from "../run/diff.ts";
import { prepare } from "../run/mod.ts";
import type { CliOptions } from "./args.ts";

/** `diff --exit-code` found changes (DESIGN.md's contract). */
export const EXIT_CHANGES = 3;

export interface DiffCommandOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  out(text: string): void;
  /** `--verbose`: where each command is printed */
  err(text: string): void;
  proc: ProcessRunner;
  /** colours on a terminal */
  color: boolean;
  /** refuses (InputError) a context the config does not pin */
  checkContext(connection: Connection): Promise<void>;
  fetchText?: (url: string) => Promise<string>;
  signal?: AbortSignal;
}

/** Runs `diff`; returns its exit code. Bad input throws `InputError`. */
export async function diffCommand(
  plan: Plan,
  cli: CliOptions,
  o: DiffCommandOptions,
): Promise<number> {
  const redactor = new Redactor();
  const connection = await connect({ proc: o.proc, redactor, context: cli.context, env: o.env });
  try {
    await o.checkContext(connection);
    const kube = connection.kube;
    const prepared = await prepare(plan, {
      env: o.env,
      cwd: o.cwd,
      fetchText: o.fetchText,
      kube,
    });
    const { changes, warnings } = await diffPlan(plan, prepared, {
      kube,
      cwd: o.cwd,
      timeoutSeconds: cli.timeoutSeconds,
      signal: o.signal,
      emit: (e) => {
        if (cli.verbose && e.type === "cmd") o.err(`$ ${e.argv.join(" ")}\n`);
      },
    });
    o.out(
      cli.json
        ? diffJson(changes, { target: plan.target, warnings })
        : formatDiff(changes, { color: o.color, warnings }),
    );
    return cli.exitCode && changes.length > 0 ? EXIT_CHANGES : EXIT_OK;
  } catch (e) {
    if (e instanceof MissingBinaryError) {
      throw new InputError(
        e.message,
        `install ${e.tool} or point MESHUP_${e.tool.toUpperCase()} at it`,
      );
    }
    throw e;
  } finally {
    connection.close();
  }
}
