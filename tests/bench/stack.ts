/**
 * The bench's harness: a fresh simulator with the fixed readiness profile and
 * aggregated discovery (as a 1.35 API server answers),
 * the Kiali operator model and a ready recorder ({@link withStack}), and
 * `up` / `verify` run in-process through `main()` with a counting
 * `DenoProcessRunner` ({@link runUp}, {@link runVerify}). Throws when a
 * run fails: its figures would mean nothing.
 *
 * @module
 */
import { main } from "../../Taskfile.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import type { KubeBinaries } from "../sim/binaries.ts";
import { type Sim, startSim } from "../sim/mod.ts";
import { EventClock, ReadyRecorder, type TimedEvent } from "./detect.ts";
import { kubeProcesses } from "./figures.ts";
import { PROFILE_SEED, simReadyDelay } from "./profile.ts";

export interface Stack {
  sim: Sim;
  nodes: number;
  recorder: ReadyRecorder;
  proc(): DenoProcessRunner;
}

/** One in-process run of the CLI. */
export interface CliRun {
  ms: number;
  /** `performance.now()` just before `main()` was called (the clock of `events[].at`) */
  startAt: number;
  events: TimedEvent[];
  /** every argv the run spawned */
  spawned: string[][];
  helm: number;
  helmUpgrades: number;
  kubectl: number;
  /** helm + kubectl processes */
  procs: number;
}

/** A fresh simulator of `nodes` Nodes (default 1) with the profile, the Kiali operator and a recorder. */
export async function withStack<T>(
  bins: KubeBinaries,
  fn: (s: Stack) => Promise<T>,
  options: { nodes?: number } = {},
): Promise<T> {
  const nodes = options.nodes ?? 1;
  const home = await Deno.makeTempDir({ prefix: "meshup-bench-home-" });
  const sim = await startSim({
    nodes,
    readyAfterMs: 0,
    readyDelay: simReadyDelay,
    jitter: 0, // the profile jitters per object (see profile.ts)
    seed: PROFILE_SEED,
    // as kube-apiserver serves it (on by default since 1.27, GA in 1.30): helm and kubectl
    // then discover in two requests, not one per group-version
    aggregatedDiscovery: true,
  });
  const recorder = new ReadyRecorder(sim.store);
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    KUBECONFIG: sim.kubeconfig,
    HELM_CACHE_HOME: `${home}/.cache/helm`,
    HELM_CONFIG_HOME: `${home}/.config/helm`,
    HELM_DATA_HOME: `${home}/.local/share/helm`,
  };
  try {
    return await fn({
      sim,
      nodes,
      recorder,
      proc: () => new DenoProcessRunner({ binaries: bins, env }),
    });
  } finally {
    recorder.close();
    await sim.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

async function runCli(
  stack: Stack,
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<{ code: number; run: CliRun; err: string }> {
  const proc = stack.proc();
  const clock = new EventClock();
  let err = "";
  const startAt = performance.now();
  const code = await main(args, {
    // the simulator's kubeconfig in main's env too, not only in its processes' env: anything
    // that reads the cluster in-process must find this cluster, never the developer's
    env: { ...options.env, KUBECONFIG: stack.sim.kubeconfig },
    cwd: options.cwd,
    proc,
    tty: false,
    io: { out: clock.write, err: (s) => void (err += s) },
  });
  const ms = performance.now() - startAt;
  const spawned = proc.spawned.map((a) => [...a]);
  return {
    code,
    err,
    run: {
      ms,
      startAt,
      events: clock.events,
      spawned,
      helm: proc.count("helm"),
      helmUpgrades: proc.count("helm", "upgrade"),
      kubectl: proc.count("kubectl"),
      procs: kubeProcesses(spawned),
    },
  };
}

/** `up --json`, timed; throws when it fails. */
export async function runUp(
  stack: Stack,
  options: { env: Record<string, string>; cwd: string },
): Promise<CliRun> {
  const { code, run, err } = await runCli(stack, ["up", "--json"], options);
  if (code !== 0) {
    const failed = run.events.map((e) => e.event).filter((e): e is RunEvent & {
      type: "step-failed";
    } => e.type === "step-failed");
    throw new Error(
      `Cannot benchmark: "up" on ${stack.nodes} nodes exited ${code}: ${
        failed.map((f) => `${f.task}/${f.step}: ${f.error}`).join("; ") || err.trim()
      }`,
    );
  }
  return run;
}

/**
 * `verify --json` against a loopback stand-in for productpage (the
 * simulator runs no pods), timed; throws with the failed checks when it
 * fails. The stand-in's start and stop are outside the clock.
 */
export async function runVerify(
  stack: Stack,
  options: { env: Record<string, string>; cwd: string },
): Promise<CliRun> {
  // each request counts as one productpage request in the simulator's ambient
  // model, whose ztunnel counters verify's mesh-mtls reads
  const productpage = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      if (new URL(req.url).pathname !== "/productpage") return new Response("", { status: 404 });
      stack.sim.ambient.recordProductpageRequest();
      return new Response("<title>Simple Bookstore App</title>");
    },
  );
  try {
    const address = `127.0.0.1:${productpage.addr.port}`;
    const { code, run, err } = await runCli(
      stack,
      ["verify", "--json", "--address", address],
      options,
    );
    if (code !== 0) {
      throw new Error(
        `Cannot benchmark: "verify" on ${stack.nodes} nodes exited ${code}: ${
          failedChecks(run.events) || err.trim()
        }`,
      );
    }
    return run;
  } finally {
    await productpage.shutdown();
  }
}

function failedChecks(events: readonly TimedEvent[]): string {
  // verify prints one JSON report, not run events
  const report = events.at(-1)?.event as unknown as {
    checks?: { id: string; status: string; detail?: string }[];
  } | undefined;
  return (report?.checks ?? []).filter((c) => c.status === "fail")
    .map((c) => `${c.id}: ${c.detail ?? ""}`).join("; ");
}
