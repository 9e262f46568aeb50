/**
 * Integration harness: a simulated API server, the real kubectl and helm,
 * the fixture charts served from a loopback Helm repository, and `main()`
 * run against them with its events captured.
 */
import { stringify } from "yaml";
import { main } from "../Taskfile.ts";
import type { RunEvent } from "../lib/output/events.ts";
import { DenoProcessRunner } from "../lib/kube/process.ts";
import { kubeBinaries } from "./sim/binaries.ts";
import { serveChartRepo } from "./sim/chart_repo.ts";
import { type SimOptions, startSim } from "./sim/mod.ts";

export const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const CHARTS = `${REPO}/tests/fixtures/charts`;
export const STAND_IN_CHARTS = [
  "base",
  "cni",
  "istiod",
  "ztunnel",
  "gateway",
  "kiali-operator",
  "cilium",
  "prometheus-operator-crds",
];

export interface RunResult {
  code: number;
  out: string;
  err: string;
  events: RunEvent[];
  /** argv of every process spawned during this run */
  spawned: string[][];
}

export interface Cluster {
  kubeconfig: string;
  repoUrl: string;
  env: Record<string, string>;
  sim: Awaited<ReturnType<typeof startSim>>;
  /** runs the CLI with `--json` and the test config in env */
  run(
    args: string[],
    options?: {
      env?: Record<string, string>;
      signal?: AbortSignal;
      /** like a second Ctrl-C */
      killSignal?: AbortSignal;
      json?: boolean;
      tty?: boolean;
      leaseDurationSeconds?: number;
      /** fetches remote manifests (a source left at its default URL) */
      fetchText?: (url: string) => Promise<string>;
    },
  ): Promise<RunResult>;
  /** installs a stand-in chart from the loopback repository, as an existing release would be */
  installChart(
    chart: string,
    options: { namespace: string; set?: Record<string, string> },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** runs kubectl or helm directly */
  tool(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Environment for a run against the stand-ins: every source local or loopback. */
export function standInEnv(repoUrl: string): Record<string, string> {
  return {
    CLUSTER_DOMAIN: "homelab.example.com",
    ISTIO_CHARTS: repoUrl,
    KIALI_CHARTS: repoUrl,
    CILIUM_CHARTS: repoUrl,
    BOOKINFO_SOURCE: `${REPO}/tests/fixtures/bookinfo`,
    GATEWAY_API_SOURCE: `${REPO}/tests/fixtures/gateway-api/standard-install.yaml`,
  };
}

export async function withCluster(
  fn: (c: Cluster) => Promise<void>,
  options: { sim?: SimOptions } = {},
): Promise<void> {
  const bins = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "meshup-home-" });
  const sim = await startSim({ readyAfterMs: 30, ...options.sim });
  const repo = await serveChartRepo(STAND_IN_CHARTS.map((c) => `${CHARTS}/${c}`));
  const env = { ...standInEnv(repo.url) };
  const procEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    KUBECONFIG: sim.kubeconfig,
    HELM_CACHE_HOME: `${home}/.cache/helm`,
    HELM_CONFIG_HOME: `${home}/.config/helm`,
    HELM_DATA_HOME: `${home}/.local/share/helm`,
  };
  const direct = new DenoProcessRunner({ binaries: bins, env: procEnv });
  const cluster: Cluster = {
    kubeconfig: sim.kubeconfig,
    repoUrl: repo.url,
    env,
    sim,
    async run(
      args,
      o: {
        env?: Record<string, string>;
        signal?: AbortSignal;
        killSignal?: AbortSignal;
        json?: boolean;
        tty?: boolean;
        leaseDurationSeconds?: number;
        fetchText?: (url: string) => Promise<string>;
      } = {},
    ) {
      const proc = new DenoProcessRunner({ binaries: bins, env: procEnv });
      let out = "";
      let err = "";
      const code = await main([...args, ...(o.json === false ? [] : ["--json"])], {
        env: { ...env, KUBECONFIG: sim.kubeconfig, ...o.env },
        cwd: REPO,
        proc,
        tty: o.tty ?? false,
        signal: o.signal,
        killSignal: o.killSignal,
        leaseDurationSeconds: o.leaseDurationSeconds,
        ...(o.fetchText ? { fetchText: o.fetchText } : {}),
        io: { out: (s) => void (out += s), err: (s) => void (err += s) },
      });
      const events = out.split("\n").filter((l) => l.startsWith("{")).map((l) =>
        JSON.parse(l) as RunEvent
      );
      return { code, out, err, events, spawned: proc.spawned };
    },
    tool: (argv, stdin) => direct.run(argv, { stdin }),
    installChart: (chart, o) =>
      direct.run([
        "helm",
        "upgrade",
        "--install",
        chart,
        chart,
        "--repo",
        repo.url,
        "--namespace",
        o.namespace,
        "--create-namespace",
        ...Object.entries(o.set ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
        "--wait",
      ]),
  };
  try {
    await fn(cluster);
  } finally {
    await repo.close();
    await sim.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

/**
 * Writes a kubeconfig for cluster `c` (started with `tls`) that the
 * in-process client cannot serve: `insecure-skip-tls-verify` and the token,
 * so meshup falls back to kubectl. Returns its path (in `dir`).
 */
export async function insecureKubeconfig(c: Cluster, dir: string): Promise<string> {
  const path = `${dir}/insecure.yaml`;
  await Deno.writeTextFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "sim",
      contexts: [{ name: "sim", context: { cluster: "sim", user: "sim" } }],
      clusters: [{ name: "sim", cluster: { server: c.sim.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "sim", user: { token: c.sim.token } }],
    }),
  );
  return path;
}

/** Counts spawned commands like `helm upgrade` or `kubectl apply`. */
export function countCmd(spawned: string[][], tool: string, sub: string): number {
  return spawned.filter((a) => a[0] === tool && a[1] === sub).length;
}

/**
 * Counts commands a run announced (`cmd` events), whether it spawned them or
 * did them in process (a server-side apply through the API client).
 */
export function countRan(events: RunEvent[], tool: string, sub: string): number {
  return events.filter((e) => e.type === "cmd" && e.argv[0] === tool && e.argv[1] === sub).length;
}

export function stepEvents(events: RunEvent[], type: RunEvent["type"]): RunEvent[] {
  return events.filter((e) => e.type === type);
}
