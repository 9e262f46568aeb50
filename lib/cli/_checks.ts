/** `doctor` and `verify` from the command line. */
import { checksExitCode, formatChecks } from "../checks/common.ts";
import { runDoctor } from "../checks/doctor/mod.ts";
import { runVerify } from "../checks/verify/mod.ts";
import type { Config } from "../config/config.ts";
import { EXIT_BAD_INPUT } from "../errors.ts";
import { connect } from "../kube/connect.ts";
import { MissingBinaryError } from "../kube/process.ts";
import { Redactor } from "../output/redact.ts";
import type { CliOptions } from "./args.ts";
import { processRunner, refuseUnpinnedContext, resolveContext } from "./_context.ts";
import { now, reportError } from "./_report.ts";
import { withStrictLock } from "./_verify_strict.ts";
import type { Io, MainOptions } from "./options.ts";

/** `doctor` (preflight) and `verify` (proof): read-only checks, exit 1 on any fail. */
export async function checks(
  cli: CliOptions,
  config: Config,
  o: { env: Record<string, string | undefined>; io: Io; options: MainOptions },
): Promise<number> {
  const connection = await connect({
    proc: processRunner(o.env, o.options),
    redactor: new Redactor(),
    context: cli.context,
    env: o.env,
  });
  const kube = connection.kube;
  try {
    // the same rule as a run: a pinned context is the only one checked, unless --context says so
    const pinned = config.cluster.context;
    if (pinned && !cli.context) {
      const current = connection.context ??
        (await resolveContext(kube, { context: cli.context, onCommand: () => {} })).context;
      refuseUnpinnedContext(current, pinned);
    }
    const verifyOptions = {
      ...(cli.address ? { address: cli.address } : {}),
      ...(cli.host ? { host: cli.host } : {}),
      ...(cli.timeoutSeconds ? { timeoutMs: cli.timeoutSeconds * 1000 } : {}),
    };
    const results = cli.command === "doctor" ? await runDoctor(kube, config) : cli.strict
      // --strict changes the cluster: it holds the run lock, and Ctrl-C stops it (it restores)
      ? await withStrictLock(kube, {
        signal: o.options.signal,
        leaseDurationSeconds: o.options.leaseDurationSeconds,
        onNotice: (_level, message) => o.io.err(`${message}\n`),
      }, (signal) => runVerify(kube, config, { ...verifyOptions, strict: true, hooks: { signal } }))
      : await runVerify(kube, config, verifyOptions);
    o.io.out(
      cli.json
        ? JSON.stringify({
          type: cli.command,
          time: now(),
          ok: checksExitCode(results) === 0,
          checks: results,
        }) + "\n"
        : formatChecks(results, {
          label: cli.command,
          color: !o.options.io && Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
        }),
    );
    return checksExitCode(results);
  } catch (e) {
    if (e instanceof MissingBinaryError) {
      reportError(o.io, cli.json ? ["--json"] : [], {
        message: e.message,
        hint: `install ${e.tool} or point MESHUP_${e.tool.toUpperCase()} at it`,
        code: EXIT_BAD_INPUT,
      });
      return EXIT_BAD_INPUT;
    }
    throw e;
  } finally {
    connection.close();
  }
}
