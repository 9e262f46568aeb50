/**
 * `deno task demo`: a rehearsal of the whole job on a simulated cluster.
 * Starts the simulated API server, serves stand-in charts (tests/fixtures,
 * not Istio's or Kiali's) from a loopback Helm repository, seeds a Cilium
 * release that is not yet configured for ambient, then runs `doctor`,
 * `up --fix`, `up` again (every step unchanged), `verify` (productpage is a
 * loopback stand-in: the simulator runs no pods) and `down --yes`, with the
 * real kubectl and helm. Nothing leaves 127.0.0.1.
 */
import { main } from "../Taskfile.ts";
import { DenoProcessRunner } from "../lib/kube/process.ts";
import { kubeBinaries } from "./sim/binaries.ts";
import { serveChartRepo } from "./sim/chart_repo.ts";
import { startSim } from "./sim/mod.ts";
import { REPO, STAND_IN_CHARTS, standInEnv } from "./_cluster.ts";

const enc = new TextEncoder();
const say = (s: string): void => void Deno.stdout.writeSync(enc.encode(s));

export async function demo(args: string[] = []): Promise<number> {
  const json = args.includes("--json");
  const bins = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "meshup-demo-" });
  const sim = await startSim({ readyAfterMs: 300, nodes: 3 });
  const repo = await serveChartRepo(
    STAND_IN_CHARTS.map((c) => `${REPO}/tests/fixtures/charts/${c}`),
  );
  const procEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    KUBECONFIG: sim.kubeconfig,
  };
  const env = {
    ...standInEnv(repo.url),
    KUBECONFIG: sim.kubeconfig,
    KIALI_AUTH: "openid",
    KIALI_ISSUER_URI: "https://sso.homelab.example.com/realms/homelab",
    KIALI_OIDC_CLIENT_SECRET: "demo-client-secret-never-shown",
  };
  const banner = (title: string): void => {
    if (!json) say(`\n=== REHEARSAL on a simulated cluster with stand-in charts: ${title} ===\n`);
  };
  try {
    const seed = new DenoProcessRunner({ binaries: bins, env: procEnv });
    const cilium = await seed.run([
      "helm",
      "upgrade",
      "--install",
      "cilium",
      `${REPO}/tests/fixtures/charts/cilium`,
      "--namespace",
      "kube-system",
      "--wait",
    ]);
    if (cilium.code !== 0) throw new Error(`seeding Cilium failed: ${cilium.stderr}`);
    const figures: string[] = [];
    const step = async (title: string, argv: string[]): Promise<number> => {
      banner(title);
      const proc = new DenoProcessRunner({ binaries: bins, env: procEnv });
      const t0 = performance.now();
      const code = await main([...argv, ...(json ? ["--json"] : [])], { env, cwd: REPO, proc });
      const ms = performance.now() - t0;
      figures.push(
        `${title.padEnd(28)} exit ${code}  ${(ms / 1000).toFixed(2)}s  helm ${
          proc.count("helm")
        } (upgrade ${proc.count("helm", "upgrade")})  kubectl ${proc.count("kubectl")} (apply ${
          proc.count("kubectl", "apply")
        })`,
      );
      return code;
    };
    // the simulator runs no pods: a loopback server stands in for productpage behind the gateway,
    // and each request counts as one productpage request in the simulator's ambient model
    // (ztunnel's connection counters, which verify's mesh-mtls reads)
    const productpage = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => {
        if (new URL(req.url).pathname !== "/productpage") return new Response("", { status: 404 });
        sim.ambient.recordProductpageRequest();
        return new Response("stand-in productpage");
      },
    );
    let codes: number[];
    try {
      codes = [
        await step("doctor --fix", ["doctor", "--fix"]),
        await step("up --fix", ["up", "--fix"]),
        await step("up again (nothing to do)", ["up"]),
        await step("verify", ["verify", "--address", `127.0.0.1:${productpage.addr.port}`]),
        await step("down --yes", ["down", "--yes"]),
      ];
    } finally {
      await productpage.shutdown();
    }
    if (!json) {
      say(
        `\n=== REHEARSAL figures (simulated cluster, readiness 300 ms per workload) ===\n${
          figures.join("\n")
        }\n`,
      );
    }
    return codes.every((c) => c === 0) ? 0 : 1;
  } finally {
    await repo.close();
    await sim.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

if (import.meta.main) {
  Deno.exit(await demo(Deno.args));
}
