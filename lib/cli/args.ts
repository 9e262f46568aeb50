/**
 * Command-line arguments, as DESIGN.md fixes them:
 * `deno task <target> [--config F] [--context C] [--only] [--force]
 * [--dry-run] [--json] [--timeout D] [--yes] [--concurrency N]
 * [--timeline FILE]`, plus
 * `plan`, `render --out DIR`, `graph --format mermaid|dot`, `down`.
 */
import { InputError } from "../errors.ts";

export interface CliOptions {
  /** `plan`, `render`, `graph`, `down` or `run` (a target) */
  command: "plan" | "render" | "graph" | "down" | "doctor" | "verify" | "run";
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
  format: "mermaid" | "dot";
  verbose: boolean;
  fix: boolean;
  purgeCrds: boolean;
  /** `--timeline FILE`: write the run as a Mermaid gantt chart */
  timeline?: string;
}

const VALUE_FLAGS = [
  "--config",
  "--context",
  "--timeout",
  "--concurrency",
  "--out",
  "--format",
  "--address",
  "--host",
  "--timeline",
];
const BOOL_FLAGS = [
  "--only",
  "--force",
  "--dry-run",
  "--json",
  "--yes",
  "--verbose",
  "--fix",
  "--purge-crds",
];

export function parseArgs(args: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_FLAGS.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--"))) {
        throw new InputError(`Missing value for "${name}"`, `write ${name} VALUE`);
      }
      values.set(name, value);
    } else if (BOOL_FLAGS.includes(name) && eq < 0) {
      flags.add(name);
    } else if (name === "-h" || name === "--help") {
      flags.add("--help");
    } else {
      throw new InputError(
        `Unknown option "${arg}"`,
        `options: ${[...VALUE_FLAGS, ...BOOL_FLAGS].join(" ")}`,
      );
    }
  }
  const first = positional[0] ?? "plan";
  const command =
    (["plan", "render", "graph", "down", "doctor", "verify"] as const).find((c) => c === first) ??
      "run";
  const rest = command === "run" ? positional : positional.slice(1);
  if (rest.length > 1) {
    throw new InputError(
      `Too many arguments: ${rest.map((r) => `"${r}"`).join(" ")}`,
      "give one target",
    );
  }
  const format = values.get("--format") ?? "mermaid";
  if (format !== "mermaid" && format !== "dot") {
    throw new InputError(`Invalid --format "${format}"`, "use --format mermaid or --format dot");
  }
  const concurrency = Number(values.get("--concurrency") ?? "4");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new InputError(
      `Invalid --concurrency "${values.get("--concurrency")}"`,
      "use a whole number from 1 to 64",
    );
  }
  const timeout = values.get("--timeout");
  return {
    command,
    target: rest[0] ?? "up",
    config: values.get("--config"),
    context: values.get("--context"),
    only: flags.has("--only"),
    force: flags.has("--force"),
    dryRun: flags.has("--dry-run"),
    json: flags.has("--json"),
    timeoutSeconds: timeout === undefined ? undefined : parseDuration(timeout, "--timeout"),
    yes: flags.has("--yes"),
    concurrency,
    out: values.get("--out") ?? "render",
    address: values.get("--address"),
    host: values.get("--host"),
    format,
    verbose: flags.has("--verbose"),
    fix: flags.has("--fix"),
    purgeCrds: flags.has("--purge-crds"),
    timeline: values.get("--timeline"),
  };
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
