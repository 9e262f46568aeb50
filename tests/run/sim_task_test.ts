/**
 * The whole proof against `deno task sim` itself, the simulator the README
 * documents (its own process, its own controllers): `up` with Kiali on,
 * `verify` green, then bookinfo's namespace taken out of ambient and
 * `verify` failing with the workloads named. The real kubectl and helm.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { REPO, STAND_IN_CHARTS, standInEnv } from "../_cluster.ts";
import { main } from "../../Taskfile.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import { serveChartRepo } from "../sim/chart_repo.ts";

interface Check {
  id: string;
  status: string;
  detail: string;
}

Deno.test("against deno task sim: up with Kiali, verify green, then a namespace out of ambient fails verify naming its workloads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "meshup-sim-task-" });
  const kubeconfig = `${dir}/kubeconfig.yaml`;
  const sim = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "sim", "--kubeconfig", kubeconfig, "--ready-after", "30ms"],
    cwd: REPO,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = sim.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const repo = await serveChartRepo(
    STAND_IN_CHARTS.map((c) => `${REPO}/tests/fixtures/charts/${c}`),
  );
  const bins = await kubeBinaries();
  const procEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: dir,
    KUBECONFIG: kubeconfig,
  };
  let simUrl = "";
  // productpage's stand-in: each request is one request in the simulator's ambient model
  const productpage = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => {
      const r = await fetch(`${simUrl}/__sim/traffic/productpage`, { method: "POST" });
      await r.body?.cancel();
      return new Response("<title>Simple Bookstore App</title>");
    },
  );
  const cli = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const code = await main([...args, "--json"], {
      env: { ...standInEnv(repo.url), KUBECONFIG: kubeconfig, KIALI_ENABLED: "true" },
      cwd: REPO,
      proc: new DenoProcessRunner({ binaries: bins, env: procEnv }),
      tty: false,
      io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    });
    return { code, out, err };
  };
  const verify = async (): Promise<{ code: number; checks: Check[] }> => {
    const r = await cli(["verify", "--address", `127.0.0.1:${productpage.addr.port}`]);
    const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as { checks: Check[] };
    return { code: r.code, checks: report.checks };
  };
  try {
    const first = await lines.read();
    const m = /^sim ready (\S+) /.exec(first.value ?? "");
    assert(m, `deno task sim said: ${first.value}`);
    simUrl = m[1];

    const up = await cli(["up"]);
    assertEquals(up.code, 0, `${up.err}\n${up.out.slice(-2000)}`);

    const green = await verify();
    const failed = green.checks.filter((c) => c.status === "fail");
    assertEquals(failed, [], "every check passes");
    assertEquals(green.code, 0);
    const ids = green.checks.map((c) => c.id);
    for (const id of ["mesh-hbone", "mesh-mtls", "kiali-cr", "kiali-server", "bookinfo-gateway"]) {
      assert(ids.includes(id), `${id} in ${ids}`);
    }

    const label = await new DenoProcessRunner({ binaries: bins, env: procEnv }).run([
      "kubectl",
      "label",
      "namespace",
      "book-info",
      "istio.io/dataplane-mode-",
    ]);
    assertEquals(label.code, 0, label.stderr);
    const red = await verify();
    assert(red.code !== 0, "verify fails");
    const hbone = red.checks.find((c) => c.id === "mesh-hbone");
    assertEquals(hbone?.status, "fail");
    assertMatch(
      hbone!.detail,
      /book-info\/productpage-v1-\S+: namespace book-info is not labelled istio.io\/dataplane-mode=ambient/,
    );
    assertStringIncludes(hbone!.detail, "book-info/details-v1-");
  } finally {
    await productpage.shutdown();
    await repo.close();
    sim.kill("SIGTERM");
    await lines.cancel().catch(() => undefined);
    await sim.status;
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
});
