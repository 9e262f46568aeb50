// deno-lint-ignore-file no-console
/**
 * `deno task bench [--rounds N] [--out FILE]`: meshup against the how-to's
 * serial script on the simulated API server, with the real kubectl and helm
 * and the fixed readiness profile of tests/bench/profile.ts.
 *
 * Measures, on fresh simulators (127.0.0.1 only):
 *  (a) `up` wall time over the DAG's critical path (computed from the
 *      profile, not measured); the median of `--rounds` runs (default 3);
 *  (b) the how-to's commands run one at a time (tests/bench/serial.ts) over
 *      the same critical path;
 *  (c) `up` again on the first round's cluster: wall time, helm and kubectl
 *      processes, helm upgrades;
 *  (d) how long after the simulator makes an object ready the runner
 *      notices, over every round (method in tests/bench/detect.ts).
 *
 * Prints a table, then one line `bench: ...`, and writes the raw figures to
 * `.cache/bench.json` (or `--out FILE`). It reports; it asserts no limits.
 * Exits 1 only when an install fails (its figures would mean nothing).
 *
 * @module
 */
import { main, TASKS } from "../../Taskfile.ts";
import { buildPlan } from "../../lib/plan/build.ts";
import { loadConfig } from "../../lib/config/config.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { REPO, STAND_IN_CHARTS, standInEnv } from "../_cluster.ts";
import { HELM_VERSION, type KubeBinaries, kubeBinaries, KUBECTL_VERSION } from "../sim/binaries.ts";
import { serveChartRepo } from "../sim/chart_repo.ts";
import { type Sim, startSim } from "../sim/mod.ts";
import { modelKialiOperator } from "../sim/operators.ts";
import {
  EventClock,
  type NoticeSample,
  noticeSamples,
  percentile,
  ReadyRecorder,
  type TimedEvent,
} from "./detect.ts";
import {
  BOOKINFO_DEPLOYMENTS,
  NOMINAL_DELAYS,
  PROFILE_JITTER,
  PROFILE_SEED,
  profileCriticalPath,
  profileDelay,
  simReadyDelay,
  taskCost,
} from "./profile.ts";
import { type CommandTiming, howToScript, runScript } from "./serial.ts";

/** Targets printed beside the figures (DESIGN.md); reported, never asserted. */
const TARGET_INSTALL_RATIO = 1.1;
const TARGET_NOOP_S = 1;
const TARGET_DETECT_P95_MS = 100;

interface Stack {
  sim: Sim;
  recorder: ReadyRecorder;
  proc(): DenoProcessRunner;
}

interface UpRun {
  code: number;
  ms: number;
  events: TimedEvent[];
  err: string;
  helm: number;
  helmUpgrades: number;
  kubectl: number;
}

function progress(text: string): void {
  console.error(`bench: ${text}`);
}

function parseBenchArgs(args: readonly string[]): { out: string; rounds: number } {
  let out = `${REPO}/.cache/bench.json`;
  let rounds = 3;
  let roundsText = "3";
  for (let i = 0; i < args.length; i++) {
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`Invalid arguments: "${args[i - 1]}" needs a value`);
      return v;
    };
    if (args[i] === "--out") out = value();
    else if (args[i] === "--rounds") rounds = Number(roundsText = value());
    else {throw new Error(
        `Invalid arguments: unknown flag "${args[i]}" (use --out FILE, --rounds N)`,
      );}
  }
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`Invalid --rounds "${roundsText}": a whole number ≥ 1`);
  }
  return { out, rounds };
}

/** A fresh simulator with the profile, the Kiali operator model and a ready recorder. */
async function withStack<T>(bins: KubeBinaries, fn: (s: Stack) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "meshup-bench-home-" });
  const sim = await startSim({
    readyAfterMs: 0,
    readyDelay: simReadyDelay,
    jitter: 0, // the profile jitters per object (see profile.ts)
    seed: PROFILE_SEED,
  });
  const stopOperator = modelKialiOperator(sim);
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
      recorder,
      proc: () => new DenoProcessRunner({ binaries: bins, env }),
    });
  } finally {
    recorder.close();
    stopOperator();
    await sim.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

async function runUp(stack: Stack, env: Record<string, string>, cwd: string): Promise<UpRun> {
  const proc = stack.proc();
  const clock = new EventClock();
  let err = "";
  const t0 = performance.now();
  const code = await main(["up", "--json"], {
    env,
    cwd,
    proc,
    tty: false,
    io: { out: clock.write, err: (s) => void (err += s) },
  });
  const ms = performance.now() - t0;
  if (code !== 0) {
    const failed = clock.events.map((e) => e.event).filter((e): e is RunEvent & {
      type: "step-failed";
    } => e.type === "step-failed");
    throw new Error(
      `Cannot benchmark: "up" exited ${code}: ${
        failed.map((f) => `${f.task}/${f.step}: ${f.error}`).join("; ") || err.trim()
      }`,
    );
  }
  return {
    code,
    ms,
    events: clock.events,
    err,
    helm: proc.count("helm"),
    helmUpgrades: proc.count("helm", "upgrade"),
    kubectl: proc.count("kubectl"),
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join(
    "\n",
  );
}

export async function bench(args: readonly string[]): Promise<number> {
  let parsed: { out: string; rounds: number };
  try {
    parsed = parseBenchArgs(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const { out, rounds } = parsed;
  const bins = await kubeBinaries();
  const repo = await serveChartRepo(
    STAND_IN_CHARTS.map((c) => `${REPO}/tests/fixtures/charts/${c}`),
    { helm: bins.helm },
  );
  // a scratch working directory, so that a developer's cluster.yaml is not read
  const cwd = await Deno.makeTempDir({ prefix: "meshup-bench-" });
  const env = {
    ...standInEnv(repo.url),
    BOOKINFO_SOURCE: `${REPO}/tests/bench/bookinfo`,
  };
  const critical = profileCriticalPath(TASKS);
  const nominal = profileCriticalPath(TASKS, { jitter: 0 });
  const ups: UpRun[] = [];
  const samples: NoticeSample[] = [];
  let noop: UpRun | undefined;
  let serial: { ms: number; commands: CommandTiming[] } | undefined;
  try {
    for (let round = 1; round <= rounds; round++) {
      await withStack(bins, async (stack) => {
        const up = await runUp(stack, env, cwd);
        ups.push(up);
        const found = noticeSamples(stack.recorder.readyAt, up.events);
        samples.push(...found);
        progress(
          `round ${round}/${rounds}: up ${
            (up.ms / 1000).toFixed(2)
          }s, ${found.length} notice samples`,
        );
        if (round === 1) {
          noop = await runUp(stack, env, cwd);
          progress(`round 1: no-op up ${(noop.ms / 1000).toFixed(2)}s`);
        }
      });
    }
    const { config } = await loadConfig({ env, cwd });
    const plan = buildPlan(TASKS, "up", { config, root: REPO, cwd });
    const dir = await Deno.makeTempDir({ dir: cwd, prefix: "how-to-" });
    const script = howToScript(plan, { dir, bookinfoDeployments: BOOKINFO_DEPLOYMENTS });
    serial = await withStack(bins, (stack) => runScript(stack.proc(), script));
    progress(`how-to script ${(serial.ms / 1000).toFixed(2)}s, ${serial.commands.length} commands`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    await repo.close();
    await Deno.remove(cwd, { recursive: true }).catch(() => undefined);
  }
  if (!noop || !serial) return 1;

  const installMs = median(ups.map((u) => u.ms));
  const installRatio = installMs / critical.total;
  const serialRatio = serial.ms / critical.total;
  const latencies = samples.map((s) => s.latencyMs);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  // where the time over the critical path goes: each task's duration in the median run
  const medianRun = [...ups].sort((a, b) => a.ms - b.ms)[Math.floor((ups.length - 1) / 2)];
  const summary = medianRun.events.map((e) => e.event).find((e): e is RunEvent & {
    type: "summary";
  } => e.type === "summary");
  const breakdown = critical.path.map((task) => ({
    task,
    costMs: taskCost(task),
    measuredMs: summary?.tasks.find((t) => t.id === task)?.durationMs ?? NaN,
  }));
  const met = (ok: boolean): string => (ok ? "met" : "not met");
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

  console.log(
    `meshup bench: simulated API server, kubectl ${KUBECTL_VERSION}, helm ${HELM_VERSION}, ` +
      `readiness profile seed ${PROFILE_SEED} ±${
        PROFILE_JITTER * 100
      } %, ${navigator.hardwareConcurrency} CPUs`,
  );
  console.log(
    `critical path (computed): ${critical.path.join(" → ")} = ${critical.total} ms ` +
      `(${critical.path.map((id) => taskCost(id)).join(" + ")}; nominal ${nominal.total} ms)`,
  );
  console.log("");
  console.log(table([
    ["metric", "meshup up", "how-to script", "target", ""],
    [
      `install wall time (${rounds === 1 ? "1 run" : `median of ${rounds}`})`,
      s(installMs),
      s(serial.ms),
      "",
      "",
    ],
    ["critical path", s(critical.total), s(critical.total), "", ""],
    [
      "install / critical path",
      installRatio.toFixed(2),
      serialRatio.toFixed(2),
      `≤ ${TARGET_INSTALL_RATIO.toFixed(2)}`,
      met(installRatio <= TARGET_INSTALL_RATIO),
    ],
    [
      "install processes (helm / kubectl)",
      `${ups[0].helm} / ${ups[0].kubectl}`,
      `${serial.commands.filter((c) => c.argv[0] === "helm").length} / ${
        serial.commands.filter((c) => c.argv[0] === "kubectl").reduce((n, c) => n + c.attempts, 0)
      }`,
      "",
      "",
    ],
    [
      "no-op re-run wall time",
      s(noop.ms),
      "",
      `≤ ${TARGET_NOOP_S} s`,
      met(noop.ms <= TARGET_NOOP_S * 1000),
    ],
    [
      "no-op processes (helm / kubectl)",
      `${noop.helm} / ${noop.kubectl}`,
      "",
      "",
      "",
    ],
    ["no-op helm upgrades", String(noop.helmUpgrades), "", "0", met(noop.helmUpgrades === 0)],
    [`detect latency p50 (${samples.length} samples)`, `${Math.round(p50)} ms`, "", "", ""],
    [
      "detect latency p95",
      `${Math.round(p95)} ms`,
      "",
      `≤ ${TARGET_DETECT_P95_MS} ms`,
      met(p95 <= TARGET_DETECT_P95_MS),
    ],
  ]));
  console.log("");
  console.log(`install runs: ${ups.map((u) => s(u.ms)).join(", ")}; raw figures in ${out}`);
  console.log(
    `critical path tasks in the median run, measured / profile: ${
      breakdown.map((b) => `${b.task} ${Math.round(b.measuredMs)}/${b.costMs} ms`).join(", ")
    }`,
  );

  const result = {
    time: new Date().toISOString(),
    versions: { deno: Deno.version.deno, kubectl: KUBECTL_VERSION, helm: HELM_VERSION },
    cpus: navigator.hardwareConcurrency,
    profile: {
      seed: PROFILE_SEED,
      jitter: PROFILE_JITTER,
      nominal: NOMINAL_DELAYS,
      applied: Object.fromEntries(
        [...new Set([...Object.keys(NOMINAL_DELAYS), ...samples.map((x) => x.key)])].map((k) => [
          k,
          profileDelay(k),
        ]),
      ),
      taskCost: Object.fromEntries(TASKS.map((t) => [t.id, taskCost(t.id)])),
    },
    criticalPath: {
      ms: critical.total,
      path: critical.path,
      nominalMs: nominal.total,
      medianRunTasks: breakdown,
    },
    install: {
      medianMs: installMs,
      ratio: installRatio,
      runs: ups.map((u) => ({
        ms: u.ms,
        helm: u.helm,
        helmUpgrades: u.helmUpgrades,
        kubectl: u.kubectl,
        summary: u.events.map((e) => e.event).find((e) => e.type === "summary"),
      })),
    },
    serial: {
      ms: serial.ms,
      ratio: serialRatio,
      commands: serial.commands,
    },
    noop: {
      ms: noop.ms,
      helm: noop.helm,
      kubectl: noop.kubectl,
      helmUpgrades: noop.helmUpgrades,
      spawned: noop.events.filter((e) => e.event.type === "cmd").map((e) =>
        (e.event as RunEvent & { type: "cmd" }).argv.slice(0, 3).join(" ")
      ),
    },
    detect: {
      method:
        "performance.now() at the simulator store write that made the object Current (kstatus) " +
        "to performance.now() at the runner's first NDJSON event of that wait step no longer " +
        "listing it as pending; see tests/bench/detect.ts",
      p50Ms: p50,
      p95Ms: p95,
      samples: samples.map((x) => ({
        key: x.key,
        task: x.task,
        step: x.step,
        latencyMs: x.latencyMs,
      })),
    },
  };
  await Deno.mkdir(out.slice(0, Math.max(0, out.lastIndexOf("/"))) || ".", { recursive: true });
  await Deno.writeTextFile(out, JSON.stringify(result, null, 2) + "\n");

  console.log(
    `bench: install/critical=${installRatio.toFixed(2)} seed-script/critical=${
      serialRatio.toFixed(2)
    } noop=${(noop.ms / 1000).toFixed(2)}s detect-p95=${Math.round(p95)}ms`,
  );
  return 0;
}

if (import.meta.main) {
  Deno.exit(await bench(Deno.args));
}
