/**
 * `deno task sim [--port N] [--kubeconfig PATH] [--nodes N] [--ready-after D]
 * [--faults FILE] [--tls]`: starts the simulator, prints exactly one line
 * `sim ready <url> <kubeconfig>`, and serves until SIGINT or SIGTERM.
 *
 * @module
 */

import { parseFaults, type SimOptions, startSim } from "./mod.ts";

/** Parses a duration: "250ms", "1.5s", "2m", or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`Cannot parse duration "${text}": use e.g. 250ms, 1s, 2m`);
  const n = Number(m[1]);
  return Math.round(m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n);
}

/** Parses the command line into simulator options. */
export async function parseArgs(args: string[]): Promise<SimOptions> {
  const options: SimOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`Cannot start the simulator: ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port":
        options.port = Number(value());
        break;
      case "--kubeconfig":
        options.kubeconfig = value();
        break;
      case "--nodes":
        options.nodes = Number(value());
        break;
      case "--ready-after":
        options.readyAfterMs = parseDuration(value());
        break;
      case "--faults": {
        const file = value();
        options.faults = parseFaults(
          JSON.parse(await Deno.readTextFile(file)),
          `faults file "${file}"`,
        );
        break;
      }
      case "--tls":
        options.tls = true;
        break;
      case "--server-version":
        options.serverVersion = value();
        break;
      default:
        throw new Error(
          `Cannot start the simulator: unknown flag "${arg}"\n    hint: deno task sim [--port N] [--kubeconfig PATH] [--nodes N] [--ready-after D] [--faults FILE] [--tls]`,
        );
    }
  }
  for (const [name, v] of [["--port", options.port], ["--nodes", options.nodes]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new Error(`Cannot start the simulator: ${name} must be a whole number, got "${v}"`);
    }
  }
  return options;
}

async function main(): Promise<number> {
  let options: SimOptions;
  try {
    options = await parseArgs(Deno.args);
  } catch (error) {
    await Deno.stderr.write(
      new TextEncoder().encode(`${error instanceof Error ? error.message : error}\n`),
    );
    return 2;
  }
  const sim = await startSim(options);
  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  const stop = (): void => resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // deno-lint-ignore no-console
  console.log(`sim ready ${sim.url} ${sim.kubeconfig}`);
  await stopped;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await sim.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main());
