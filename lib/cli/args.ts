/**
 * The command line, as DESIGN.md fixes it, parsed by commander:
 * `deno task <target> [--config F] [--context C] [--only] [--force]
 * [--dry-run] [--json] [--timeout D] [--yes] [--concurrency N]
 * [--timeline FILE]`, plus `plan`, `render --out DIR`,
 * `graph --format mermaid|dot`, `render --format files|flux`, `down`, `doctor`,
 * `verify` and `diff [target] [--json] [--exit-code]`.
 * Each command takes only the flags it acts on; `--help` and `--version`
 * print and act on nothing. Bad input throws `InputError` (exit 2).
 */
import { Command, CommanderError, Option } from "commander";
import { InputError } from "../errors.ts";
import { closest } from "../config/suggest.ts";
import type { Task } from "../plan/task.ts";
import { type CommandKind, environmentHelp, exitCodesHelp } from "./help.ts";
import { versionText } from "./version.ts";

export interface CliOptions {
  /** `plan`, `render`, `graph`, `down`, `doctor`, `verify`, `diff` or `run` (a target) */
  command: "plan" | "render" | "graph" | "down" | "doctor" | "verify" | "diff" | "run";
  target: string;
  config?: string;
  context?: string;
  only: boolean;
  force: boolean;
  dryRun: boolean;
  json: boolean;
  timeoutSeconds?: number;
  yes: boolean;
  concurrency: number;
  out: string;
  /** verify: productpage address and Host header */
  address?: string;
  host?: string;
  /** verify: also run mesh-strict, which changes the cluster and restores it */
  strict: boolean;
  /** graph: mermaid or dot; render: files or flux */
  format: "mermaid" | "dot" | "files" | "flux";
  verbose: boolean;
  fix: boolean;
  purgeCrds: boolean;
  /** `--timeline FILE`: write the run as a Mermaid gantt chart */
  timeline?: string;
  /** diff: exit 3 when anything would change */
  exitCode: boolean;
}

/** A command line is either something to do or text to print (help, version). */
export type ParsedArgs = { options: CliOptions } | { print: string };

type Flag =
  | "config"
  | "context"
  | "only"
  | "force"
  | "dryRun"
  | "json"
  | "verbose"
  | "timeout"
  | "concurrency"
  | "timeline"
  | "fix"
  | "yes"
  | "purgeCrds"
  | "out"
  | "format"
  | "renderFormat"
  | "address"
  | "host"
  | "strict"
  | "exitCode";

const FLAGS: Record<Flag, () => Option> = {
  config: () =>
    value("--config <file>", "config file (default ./cluster.yaml, else the environment alone)"),
  context: () =>
    value("--context <name>", "kube context (default: the current one; overrides cluster.context)"),
  only: () => new Option("--only", "the target alone, without its dependencies"),
  force: () =>
    new Option(
      "--force",
      "re-apply the target's own steps even when unchanged, not its dependencies' " +
        "(up, istio:install: every member)",
    ),
  dryRun: () => new Option("--dry-run", "print the plan and touch nothing"),
  json: () => new Option("--json", "JSON on stdout (one event per line for a run)"),
  verbose: () => new Option("--verbose", "print every command (secrets redacted)"),
  timeout: () =>
    new Option("--timeout <duration>", "per step: 300s, 5m, 1h30m (default 300s)").argParser((v) =>
      parseDuration(v, "--timeout")
    ),
  concurrency: () =>
    new Option("--concurrency <n>", "tasks run side by side, 1 to 64 (default 4)").argParser(
      parseConcurrency,
    ),
  timeline: () => value("--timeline <file>", "write the run as a Mermaid gantt chart"),
  fix: () =>
    new Option("--fix", "let the cilium target upgrade Cilium for ambient (cilium.mode: fix)"),
  yes: () => new Option("--yes", "remove without asking"),
  purgeCrds: () => new Option("--purge-crds", "also remove the CRDs the stack installed"),
  out: () => value("--out <dir>", "folder to write into (default ./render)"),
  format: () =>
    new Option("--format <format>", "mermaid or dot (default mermaid)").argParser(parseFormat),
  renderFormat: () =>
    new Option("--format <format>", "files, or flux: Flux objects to commit (default files)")
      .argParser(parseRenderFormat),
  address: () => value("--address <ip[:port]>", "reach the gateway at this address"),
  host: () => value("--host <host>", "Host header for the productpage request"),
  strict: () =>
    new Option(
      "--strict",
      "also prove STRICT mTLS is enforced: changes the cluster (takes the run lock) and restores it",
    ),
  exitCode: () =>
    new Option("--exit-code", "exit 3 when anything would change, 0 when nothing would"),
};

/** An option with a value that is not itself a flag (`--out --force` is a missing value). */
function value(flags: string, description: string): Option {
  const name = flags.split(" ")[0];
  return new Option(flags, description).argParser((v) => {
    if (v.startsWith("--")) {
      throw new InputError(`Missing value for "${name}"`, `write ${name} VALUE`);
    }
    return v;
  });
}

const RUN_FLAGS: readonly Flag[] = [
  "config",
  "context",
  "only",
  "force",
  "dryRun",
  "json",
  "verbose",
  "timeout",
  "concurrency",
  "timeline",
  "fix",
];

interface CommandSpec {
  name: Exclude<CliOptions["command"], "run">;
  summary: string;
  target: boolean;
  flags: readonly Flag[];
}

const COMMANDS: readonly CommandSpec[] = [
  {
    name: "plan",
    summary: "Print the tasks, deps and steps of a target (default up); touches nothing",
    target: true,
    // the options of a run, so that `plan` in front of a command line shows what it would do
    flags: RUN_FLAGS,
  },
  {
    name: "render",
    summary:
      "Write the values, manifests and command lines of every step to files, or Flux objects",
    target: true,
    flags: ["config", "context", "only", "fix", "timeout", "out", "renderFormat"],
  },
  {
    name: "graph",
    summary: "Print the target graph as Mermaid or DOT; reads no config",
    target: false,
    flags: ["format"],
  },
  {
    name: "down",
    summary: "Remove a target (default up), dependents first",
    target: true,
    flags: [
      "config",
      "context",
      "only",
      "yes",
      "purgeCrds",
      "dryRun",
      "json",
      "verbose",
      "timeout",
      "concurrency",
      "timeline",
    ],
  },
  {
    name: "doctor",
    summary: "Preflight, read-only: tools, context, versions, permissions, Cilium, CRDs",
    target: false,
    // --fix: check Cilium as `up --fix` would leave it
    flags: ["config", "context", "json", "fix"],
  },
  {
    name: "verify",
    summary:
      "Prove the installed mesh works, read-only (--strict: also STRICT mTLS, restored after)",
    target: false,
    flags: ["config", "context", "json", "address", "host", "timeout", "strict"],
  },
  {
    name: "diff",
    summary: "What up (or a target) would change, read-only: installs, upgrades, values, drift",
    target: true,
    flags: ["config", "context", "only", "fix", "json", "verbose", "timeout", "exitCode"],
  },
];

/** Parses one command line against the targets in `tasks`. Throws `InputError`. */
export function parseArgs(
  args: readonly string[],
  options: { tasks: readonly Task[] },
): ParsedArgs {
  let printed = "";
  let matched: { spec?: CommandSpec; task?: Task; cmd: Command } | undefined;
  const program = new Command("deno task")
    .usage("<command|target> [options]")
    .description("Installs an Istio ambient mesh and its add-ons with helm and kubectl.")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void (printed += s),
      writeErr: (s) => void (printed += s),
      outputError: () => {},
    })
    // one line per command and target, whatever the terminal's width
    .configureHelp({ helpWidth: 160 })
    .showSuggestionAfterError(false)
    .helpCommand(false)
    .option("--version", "print meshup's version and the default versions it installs")
    .action(() => {})
    .addHelpText(
      "after",
      `\nRun "deno task <command|target> --help" for its options, environment and exit codes.\n${
        exitCodesHelp("all")
      }`,
    );
  program.commandsGroup("Commands:");
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).summary(spec.summary).description(spec.summary);
    if (spec.target) cmd.argument("[target]", "a target (default up)");
    addFlags(cmd, spec.flags, spec.name);
    cmd.action(() => void (matched = { spec, cmd }));
  }
  program.commandsGroup("Targets (deno task <target> runs it with its dependencies):");
  for (const task of options.tasks) {
    const cmd = program.command(task.id).summary(task.description || task.id)
      .description(task.description || task.id);
    addFlags(cmd, RUN_FLAGS, "run");
    cmd.action(() => void (matched = { task, cmd }));
  }
  const names = [...COMMANDS.map((c) => c.name), ...options.tasks.map((t) => t.id)];
  const argv = commandFirst(args, names);
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return { print: printed };
    throw translate(e, matched?.cmd ?? findCommand(program, argv[0]), names);
  }
  if (program.opts().version) return { print: versionText() };
  if (!matched) return { print: printed || program.helpInformation() };
  const o = matched.cmd.opts();
  const positional = matched.cmd.args;
  return {
    options: {
      command: matched.spec?.name ?? "run",
      target: matched.task?.id ?? positional[0] ?? "up",
      config: o.config,
      context: o.context,
      only: o.only === true,
      force: o.force === true,
      dryRun: o.dryRun === true,
      json: o.json === true,
      timeoutSeconds: o.timeout,
      yes: o.yes === true,
      concurrency: o.concurrency ?? 4,
      out: o.out ?? "render",
      address: o.address,
      host: o.host,
      strict: o.strict === true,
      format: o.format ?? (matched.spec?.name === "render" ? "files" : "mermaid"),
      verbose: o.verbose === true,
      fix: o.fix === true,
      purgeCrds: o.purgeCrds === true,
      timeline: o.timeline,
      exitCode: o.exitCode === true,
    },
  };
}

function addFlags(cmd: Command, flags: readonly Flag[], kind: CommandKind): void {
  for (const flag of flags) cmd.addOption(FLAGS[flag]());
  cmd.addHelpText("after", `${environmentHelp(kind)}${exitCodesHelp(kind)}`);
}

/**
 * Puts the command (the first word that is not a flag or a flag's value)
 * first, as the hand-written parser allowed `--json plan`; no command
 * means `plan`. `--help` and `--version` alone stay at the top level.
 */
function commandFirst(args: readonly string[], names: readonly string[]): string[] {
  const takesValue = new Set(
    Object.values(FLAGS).map((f) => f()).filter((o) => o.required).map((o) => o.long),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (!arg.startsWith("-")) {
      // `help [command]` is `[command] --help`
      if (arg === "help") return [...args.slice(i + 1, i + 2), "--help"];
      if (!names.includes(arg)) {
        const guess = closest(arg, names);
        throw new InputError(
          `Unknown command "${arg}"`,
          guess
            ? `did you mean "${guess}"? (deno task meshup --help lists every command and target)`
            : "deno task meshup --help lists every command and target",
        );
      }
      return [arg, ...args.slice(0, i), ...args.slice(i + 1)];
    }
    if (!arg.includes("=") && takesValue.has(arg)) i++;
  }
  const top = args.length > 0 && args.every((a) => ["-h", "--help", "--version"].includes(a));
  return top ? [...args] : ["plan", ...args];
}

function findCommand(program: Command, name: string | undefined): Command {
  return program.commands.find((c) => c.name() === name) ?? program;
}

/** A commander error as one line and a hint. */
function translate(e: CommanderError, cmd: Command, names: readonly string[]): InputError {
  const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? "";
  const where = cmd.parent ? `deno task ${cmd.name()} --help` : "deno task meshup --help";
  switch (e.code) {
    case "commander.unknownOption": {
      const known = cmd.options.map((o) => o.long!).concat("--help");
      const guess = closest(quoted.replace(/=.*$/, ""), known);
      return new InputError(
        cmd.parent
          ? `Unknown option "${quoted}" for "${cmd.name()}"`
          : `Unknown option "${quoted}"`,
        guess ? `did you mean "${guess}"? (${where} lists them)` : `${where} lists the options`,
      );
    }
    case "commander.unknownCommand": {
      const guess = closest(quoted, names);
      return new InputError(
        `Unknown command "${quoted}"`,
        guess ? `did you mean "${guess}"? (${where})` : `${where} lists every command and target`,
      );
    }
    case "commander.optionMissingArgument": {
      const flag = /'(--[a-z-]+)/.exec(e.message)?.[1] ?? quoted;
      return new InputError(`Missing value for "${flag}"`, `write ${flag} VALUE; see ${where}`);
    }
    case "commander.excessArguments":
      return new InputError(
        `Too many arguments for "${cmd.name()}"`,
        cmd.registeredArguments.length ? "give one target" : `"${cmd.name()}" takes no target`,
      );
    default:
      return new InputError(e.message.replace(/^error: /, ""), `see ${where}`);
  }
}

function parseConcurrency(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 64) {
    throw new InputError(`Invalid --concurrency "${text}"`, "use a whole number from 1 to 64");
  }
  return n;
}

function parseFormat(text: string): "mermaid" | "dot" {
  if (text !== "mermaid" && text !== "dot") {
    throw new InputError(`Invalid --format "${text}"`, "use --format mermaid or --format dot");
  }
  return text;
}

function parseRenderFormat(text: string): "files" | "flux" {
  if (text !== "files" && text !== "flux") {
    throw new InputError(`Invalid --format "${text}"`, "use --format files or --format flux");
  }
  return text;
}

/** `300`, `300s`, `5m`, `1h30m` -> seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
  if (!m || text.trim() === "" || !(seconds > 0)) {
    throw new InputError(`Invalid ${what} "${text}"`, "use a duration such as 300s, 5m or 1h");
  }
  return seconds;
}
