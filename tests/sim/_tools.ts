/**
 * Test helpers (private to tests/sim): run the real kubectl and helm against
 * a simulator with their own HOME and caches, bounded in time.
 *
 * @module
 */

import { kubeBinaries } from "./binaries.ts";
import type { Sim } from "./mod.ts";

/** The outcome of one command. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for messages. */
  output: string;
  ms: number;
}

/** Options of one command. */
export interface RunOptions {
  stdin?: string;
  /** Kill the command after this long (default 60 s). */
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** kubectl and helm bound to one simulator and one HOME. */
export interface Tools extends AsyncDisposable {
  home: string;
  kubectl(args: string[], options?: RunOptions): Promise<ToolResult>;
  helm(args: string[], options?: RunOptions): Promise<ToolResult>;
  /** kubectl … -o json, parsed; throws on a non-zero exit. */
  json(args: string[]): Promise<Record<string, unknown>>;
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  options: RunOptions,
): Promise<ToolResult> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  try {
    const child = new Deno.Command(cmd, {
      args,
      env: { ...env, ...(options.env ?? {}) },
      clearEnv: true,
      stdin: options.stdin !== undefined ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout);
    const stderr = dec.decode(out.stderr);
    return {
      code: out.code,
      stdout,
      stderr,
      output: `${stdout}\n${stderr}`,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Makes a HOME, finds the binaries, and returns runners for this simulator. */
export async function tools(sim: Pick<Sim, "kubeconfig">): Promise<Tools> {
  const bins = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "sim-home-" });
  const env: Record<string, string> = {
    HOME: home,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    KUBECONFIG: sim.kubeconfig,
    HELM_CACHE_HOME: `${home}/.cache/helm`,
    HELM_CONFIG_HOME: `${home}/.config/helm`,
    HELM_DATA_HOME: `${home}/.local/share/helm`,
    TMPDIR: Deno.env.get("TMPDIR") ?? "/tmp",
  };
  const kubectl = (args: string[], options: RunOptions = {}): Promise<ToolResult> =>
    run(bins.kubectl, args, env, options);
  return {
    home,
    kubectl,
    helm: (args, options = {}) => run(bins.helm, args, env, options),
    async json(args: string[]): Promise<Record<string, unknown>> {
      const r = await kubectl([...args, "-o", "json"]);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

/** The fixture charts folder. */
export const CHARTS = new URL("../fixtures/sim/charts/", import.meta.url).pathname;
