/**
 * The target graph and the CLI entry. Each task module is imported by name;
 * nothing is discovered by glob.
 */
import { buildPlan } from "./lib/build.ts";
import { type CliOptions, parseArgs } from "./lib/cli.ts";
import { loadConfig } from "./lib/config.ts";
import { toDot, toMermaid, validateGraph } from "./lib/dag.ts";
import { describePlan } from "./lib/describe.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, InputError } from "./lib/errors.ts";
import type { Plan } from "./lib/plan.ts";
import { renderPlan } from "./lib/render.ts";
import type { Task } from "./lib/task.ts";
import { bookinfo } from "./tasks/bookinfo.ts";
import { cilium } from "./tasks/cilium.ts";
import { gateway } from "./tasks/gateway.ts";
import { gatewayApi } from "./tasks/gateway_api.ts";
import { istioBase, istioCni, istioInstall, istioIstiod, istioZtunnel } from "./tasks/istio.ts";
import { kiali } from "./tasks/kiali.ts";
import { telemetry } from "./tasks/telemetry.ts";
import { up } from "./tasks/up.ts";

/** Every target, in declaration order (ties in the plan's order follow it). */
export const TASKS: readonly Task[] = [
  cilium,
  gatewayApi,
  istioBase,
  istioCni,
  istioIstiod,
  istioZtunnel,
  istioInstall,
  gateway,
  telemetry,
  kiali,
  bookinfo,
  up,
];

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface MainOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  io?: Io;
  tasks?: readonly Task[];
  /** where values/ and manifests/ are read from (tests point it elsewhere) */
  root?: string;
}

const ROOT = new URL(".", import.meta.url).pathname.replace(/\/$/, "");

export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? stdio();
  const env = options.env ?? Deno.env.toObject();
  const cwd = options.cwd ?? Deno.cwd();
  const tasks = options.tasks ?? TASKS;
  try {
    const cli = parseArgs(args);
    if (cli.command === "graph") {
      validateGraph(tasks);
      io.out(cli.format === "dot" ? toDot(tasks) : toMermaid(tasks));
      return EXIT_OK;
    }
    const { config } = await loadConfig({ file: cli.config, env, cwd });
    if (cli.fix) config.cilium.mode = "fix";
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
        io.out(cli.json ? planJson(plan) : describePlan(plan));
        return EXIT_OK;
      case "render":
        await writeRender(plan, cli, cwd, io);
        return EXIT_OK;
      case "down":
      case "run":
        if (cli.dryRun) {
          io.out(cli.json ? planJson(plan) : describePlan(plan));
          return EXIT_OK;
        }
        io.err(
          `error: Cannot run "${cli.target}": the apply engine is not built yet\n  hint: use --dry-run, plan or render\n`,
        );
        return EXIT_FAILED;
    }
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
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
  const entries = renderPlan(plan, { timeoutSeconds: cli.timeoutSeconds });
  await Deno.remove(out, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  for (const entry of entries) {
    const path = `${out}/${entry.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, entry.content);
  }
  io.out(`Rendered ${entries.length} files for "${plan.target}" into ${cli.out}/\n`);
}

function stdio(): Io {
  const enc = new TextEncoder();
  return {
    out: (text) => void Deno.stdout.writeSync(enc.encode(text)),
    err: (text) => void Deno.stderr.writeSync(enc.encode(text)),
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
