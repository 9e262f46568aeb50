/**
 * The CLI dispatch: parse the arguments, load the config, then plan, render,
 * graph, check or run. `Taskfile.ts` holds the target graph and passes it in.
 */
import { buildPlan } from "../plan/build.ts";
import { type CliOptions, parseArgs } from "./args.ts";
import { loadConfig } from "../config/config.ts";
import { toDot, toMermaid, validateGraph } from "../plan/dag.ts";
import { describePlan } from "../plan/describe.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, InputError } from "../errors.ts";
import type { RunEvent } from "../output/events.ts";
import { connect } from "../kube/connect.ts";
import { createOutput } from "../output/mod.ts";
import { MissingBinaryError } from "../kube/process.ts";
import { Redactor } from "../output/redact.ts";
import {
  beginRun,
  downPlan,
  eventHooks,
  prepare,
  type Prepared,
  readReleases,
  readSecrets,
  runPlan,
} from "../run/mod.ts";
import type { Plan } from "../plan/plan.ts";
import { renderPlan } from "../plan/render.ts";
import { fluxRepoPath, renderFlux } from "../plan/flux/mod.ts";
import { prepareOutDir, writeOutDir } from "../plan/out_dir.ts";
import type { Task } from "../plan/task.ts";
import { timelineGantt } from "../output/timeline.ts";
import { checkTimelinePath, writeTimeline } from "./_timeline.ts";
import { EXIT_INTERRUPTED } from "./_interrupts.ts";
import { RunSession } from "./_run_session.ts";
import { diffCommand } from "./_diff.ts";
import { checks } from "./_checks.ts";
import { planText } from "./_plan.ts";
import { processRunner, refuseUnpinnedContext, resolveContext } from "./_context.ts";
import { now, reportError } from "./_report.ts";
import type { Io, MainOptions } from "./options.ts";

export type { Io, MainOptions } from "./options.ts";

/** The repository root: values/ and manifests/ are read from here by default. */
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Runs one command line against `options.tasks`; returns the exit code. */
export async function main(
  args: readonly string[],
  options: MainOptions & { tasks: readonly Task[] },
): Promise<number> {
  const io = options.io ?? stdio();
  const env = options.env ?? Deno.env.toObject();
  const cwd = options.cwd ?? Deno.cwd();
  const tasks = options.tasks;
  try {
    const parsed = parseArgs(args, { tasks });
    if ("print" in parsed) {
      io.out(parsed.print);
      return EXIT_OK;
    }
    const cli = parsed.options;
    if (cli.command === "graph") {
      validateGraph(tasks);
      io.out(cli.format === "dot" ? toDot(tasks) : toMermaid(tasks));
      return EXIT_OK;
    }
    const { config } = await loadConfig({ file: cli.config, env, cwd });
    if (cli.fix) config.cilium.mode = "fix";
    if (cli.command === "doctor" || cli.command === "verify") {
      return await checks(cli, config, { env, io, options });
    }
    const root = options.root ?? ROOT;
    const plan = buildPlan(tasks, cli.target, {
      config,
      root,
      cwd,
      only: cli.only,
      context: cli.context,
    });
    switch (cli.command) {
      case "plan":
        io.out(
          cli.json ? planJson(plan) : await planText(plan, {
            env,
            proc: processRunner(env, options),
            ...(cli.context ? { context: cli.context } : {}),
          }),
        );
        return EXIT_OK;
      case "render":
        await writeRender(plan, cli, cwd, io);
        return EXIT_OK;
      case "diff":
        return await diffCommand(plan, cli, {
          env,
          cwd,
          out: io.out,
          err: io.err,
          proc: processRunner(env, options),
          color: !options.io && Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
          fetchText: options.fetchText,
          signal: options.signal,
          // the same rule as a run: a pinned context is the only one used, unless --context says so
          checkContext: async (c) => {
            if (cli.context || !plan.context) return;
            const kube = c.kube;
            refuseUnpinnedContext(
              c.context ?? (await resolveContext(kube, { onCommand: () => {} })).context,
              plan.context,
            );
          },
        });
      case "down":
      case "run": {
        const timeline = cli.timeline ? await checkTimelinePath(cli.timeline, cwd) : undefined;
        if (cli.dryRun) {
          io.out(cli.json ? planJson(plan) : describePlan(plan));
          return EXIT_OK;
        }
        return await execute(plan, cli, { env, cwd, io, options, timeline });
      }
    }
  } catch (e) {
    if (e instanceof InputError) {
      reportError(io, args, { message: e.message, hint: e.hint, code: EXIT_BAD_INPUT });
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

/** `up`, a single target, or `down`: context check, preparation, then the runner. */
async function execute(
  plan: Plan,
  cli: CliOptions,
  o: {
    env: Record<string, string | undefined>;
    cwd: string;
    io: Io;
    options: MainOptions;
    /** where `--timeline` writes, already checked */
    timeline?: string;
  },
): Promise<number> {
  const tty = o.options.tty ?? (Deno.stdout.isTerminal() && Deno.stdin.isTerminal());
  const redactor = new Redactor();
  const output = createOutput(cli.json ? "json" : tty ? "tty" : "plain", {
    verbose: cli.verbose,
    redactor,
    ...(o.options.io ? { write: o.io.out, writeError: o.io.err } : {}),
  });
  const events: RunEvent[] = [];
  const emit = (e: RunEvent): void => {
    if (o.timeline) events.push(e);
    output.emit(e);
  };
  // the secrets a run reads from the environment reach no child process
  const secretEnv = plan.tasks.flatMap((t) => t.steps)
    .flatMap((s) => s.kind === "secret" ? Object.values(s.fromEnv) : []);
  const connection = await connect({
    proc: processRunner(o.env, o.options, secretEnv),
    redactor,
    context: cli.context,
    env: o.env,
  });
  const kube = connection.kube;
  let session: RunSession | undefined;
  try {
    const { context, server } = connection.context && connection.server
      ? { context: connection.context, server: connection.server }
      : await resolveContext(kube, {
        context: cli.context,
        onCommand: (argv) => emit({ type: "cmd", time: now(), task: "run", step: "context", argv }),
      });
    if (!cli.context) refuseUnpinnedContext(context, plan.context);
    const down = cli.command === "down";
    // a missing secret stops the run before anything starts
    const secrets = readSecrets(plan, { env: o.env, kube, down });
    // the run's first read goes out while the manifests are prepared
    const releases = readReleases(
      kube,
      eventHooks((body) => emit({ ...body, time: now() } as RunEvent), "run", "releases"),
    );
    releases.catch(() => {}); // the run awaits it; a failure to prepare is told first
    session = new RunSession({
      kube,
      context,
      command: down ? `down ${plan.target}` : plan.target,
      emit,
      print: (text) => output.print(text),
      signal: o.options.signal,
      killSignal: o.options.killSignal,
      leaseDurationSeconds: o.options.leaseDurationSeconds,
    });
    const runOptions = {
      kube,
      emit,
      env: o.env,
      cwd: o.cwd,
      concurrency: cli.concurrency,
      force: cli.force,
      timeoutSeconds: cli.timeoutSeconds,
      ...session.runOptions(),
      purgeCrds: cli.purgeCrds,
      releases,
    };
    // up: the first release's helm starts (held at its gate) while the
    // manifests are fetched; Ctrl-C is ours from then on
    if (!down) session.interrupts.listen();
    const begun = down ? undefined : beginRun(plan, runOptions);
    let prepared: Prepared;
    try {
      prepared = await prepare(plan, {
        down,
        env: o.env,
        cwd: o.cwd,
        fetchText: o.options.fetchText,
        kube,
        secrets,
        ...(begun ? { parseAfter: begun.started } : {}),
      });
    } catch (e) {
      await begun?.abandon();
      throw e;
    }
    if (down && !cli.yes) {
      const question =
        `Remove "${plan.target}" (${plan.tasks.length} tasks) from context "${context}"? [y/N] `;
      if (!tty) throw new InputError(`Refusing to run "down" without confirmation`, "pass --yes");
      if (!/^y(es)?$/i.test(prompt(question) ?? "")) {
        throw new InputError("Cancelled: nothing was removed");
      }
    }
    if (down) session.interrupts.listen();
    emit({ type: "context", time: now(), context, server });
    if (connection.notice) {
      emit({ type: "log", time: now(), level: "info", message: connection.notice });
    }
    emit({
      type: "plan",
      time: now(),
      target: plan.target,
      tasks: plan.tasks.map((t) => ({
        id: t.id,
        deps: t.deps,
        steps: t.steps.map((s) => ({ id: s.id, kind: s.kind, description: s.description })),
      })),
    });
    const summary = cli.command === "down"
      ? await downPlan(plan, prepared, runOptions)
      : await runPlan(plan, prepared, { ...runOptions, begun });
    if (o.timeline) {
      try {
        await writeTimeline(o.timeline, timelineGantt(events));
      } catch (e) {
        output.error(
          `Cannot write timeline "${cli.timeline}": ${e instanceof Error ? e.message : String(e)}`,
          {
            hint: "check the folder's permissions and free space; the run itself is done",
            code: EXIT_FAILED,
          },
        );
        return EXIT_FAILED;
      }
    }
    const refusal = session.gate.refusal;
    if (refusal) {
      output.error(redactor.redact(refusal.message), { hint: refusal.hint, code: EXIT_BAD_INPUT });
      return EXIT_BAD_INPUT;
    }
    if (session.interrupts.interrupted) return EXIT_INTERRUPTED;
    return summary.ok ? EXIT_OK : EXIT_FAILED;
  } catch (e) {
    if (e instanceof InputError) {
      output.error(redactor.redact(e.message), { hint: e.hint, code: EXIT_BAD_INPUT });
      return EXIT_BAD_INPUT;
    }
    if (e instanceof MissingBinaryError) {
      output.error(e.message, {
        hint: `install ${e.tool} or point MESHUP_${e.tool.toUpperCase()} at it`,
        code: EXIT_BAD_INPUT,
      });
      return EXIT_BAD_INPUT;
    }
    throw e;
  } finally {
    await session?.close();
    connection.close();
    output.close();
  }
}

function planJson(plan: Plan): string {
  return JSON.stringify({
    type: "plan",
    time: new Date().toISOString(),
    target: plan.target,
    tasks: plan.tasks,
  }) +
    "\n";
}

async function writeRender(plan: Plan, cli: CliOptions, cwd: string, io: Io): Promise<void> {
  const out = cli.out.startsWith("/") ? cli.out : `${cwd}/${cli.out}`;
  const timeoutSeconds = cli.timeoutSeconds;
  const files = cli.format === "flux"
    ? renderFlux(plan, { repoPath: fluxRepoPath(out, cli.out), timeoutSeconds })
    : new Map(renderPlan(plan, { timeoutSeconds }).map((e) => [e.path, e.content]));
  // only an absent or empty folder, or our own earlier output; else exit 2, nothing touched
  await prepareOutDir(out, { files: [...files.keys()], shown: cli.out });
  await writeOutDir(out, files);
  const what = cli.format === "flux" ? "Flux files" : "files";
  io.out(`Rendered ${files.size} ${what} for "${plan.target}" into ${cli.out}/\n`);
}

function stdio(): Io {
  const enc = new TextEncoder();
  return {
    out: (text) => void Deno.stdout.writeSync(enc.encode(text)),
    err: (text) => void Deno.stderr.writeSync(enc.encode(text)),
  };
}
