import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { call, withSim } from "./_calls.ts";
import { until } from "./_tools.ts";
import { startSim } from "./mod.ts";
import type { Rec } from "./object.ts";

const enc = new TextEncoder();

function note(line: string): void {
  Deno.stderr.writeSync(enc.encode(`${line}\n`));
}

Deno.test("startSim() starts quickly and close() leaves nothing running", async () => {
  const started = performance.now();
  const sim = await startSim();
  const ms = performance.now() - started;
  note(`sim startup: ${ms.toFixed(1)} ms`);
  const tlsStarted = performance.now();
  const tlsSim = await startSim({ tls: true });
  note(`sim startup with TLS: ${(performance.now() - tlsStarted).toFixed(1)} ms`);
  await tlsSim.close();
  const res = await call(sim, "GET", "/version");
  assertEquals(res.json.gitVersion, "v1.35.0");
  await sim.close();
  await sim.close();
});

Deno.test("GET /version reports the configured serverVersion and OpenAPI is v2-empty, v3-absent", async () => {
  await withSim(async (sim) => {
    const v = await call(sim, "GET", "/version");
    assertEquals([v.json.major, v.json.minor, v.json.gitVersion], ["1", "29", "v1.29.4"]);
    const v2 = await fetch(`${sim.url}/openapi/v2`);
    assertEquals([v2.status, (await v2.arrayBuffer()).byteLength], [200, 0]);
    const v3 = await fetch(`${sim.url}/openapi/v3`);
    await v3.body?.cancel();
    assertEquals(v3.status, 404);
  }, { serverVersion: "v1.29.4" });
});

Deno.test("discovery lists built-in groups, and a CRD's group once it is Established", async () => {
  await withSim(async (sim) => {
    const groups = await call(sim, "GET", "/apis");
    const names = (groups.json.groups as Rec[]).map((g) => g.name);
    for (
      const g of ["apps", "batch", "apiextensions.k8s.io", "rbac.authorization.k8s.io", "policy"]
    ) {
      assert(names.includes(g), `missing group ${g}`);
    }
    const core = await call(sim, "GET", "/api/v1");
    const resources = (core.json.resources as Rec[]).map((r) => r.name);
    assert(resources.includes("pods/status") && resources.includes("secrets"));
    await call(sim, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gadgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Gadget", plural: "gadgets" },
        versions: [{ name: "v1", served: true, storage: true, subresources: { status: {} } }],
      },
    });
    assert(await until(() => sim.registry.find("example.com", "v1", "gadgets") !== undefined));
    const crd = sim.get(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      undefined,
      "gadgets.example.com",
    )!;
    const established = ((crd.status as Rec).conditions as Rec[]).find((c) =>
      c.type === "Established"
    );
    assertEquals(established?.status, "True");
    const gv = await call(sim, "GET", "/apis/example.com/v1");
    assertEquals((gv.json.resources as Rec[]).map((r) => r.name), ["gadgets", "gadgets/status"]);
    const created = await call(sim, "POST", "/apis/example.com/v1/namespaces/default/gadgets", {
      apiVersion: "example.com/v1",
      kind: "Gadget",
      metadata: { name: "g1" },
      spec: { size: 1 },
      status: { ignored: true },
    });
    assertEquals(created.status, 201);
    assertEquals((created.json.metadata as Rec).generation, 1);
    assertEquals(created.json.status, undefined);
    const deleted = await call(
      sim,
      "DELETE",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com",
    );
    assertEquals(deleted.status, 200);
    assertEquals(sim.registry.find("example.com", "v1", "gadgets"), undefined);
    assertEquals(sim.store.list("example.com/gadgets").length, 0);
  });
});

Deno.test("TLS serves with the generated CA and checks the bearer token", async () => {
  await withSim(async (sim) => {
    const client = Deno.createHttpClient({ caCerts: [sim.caPem!] });
    try {
      const ok = await fetch(`${sim.url}/version`, {
        client,
        headers: { authorization: `Bearer ${sim.token}` },
      });
      assertEquals(ok.status, 200);
      await ok.body?.cancel();
      const bad = await fetch(`${sim.url}/version`, {
        client,
        headers: { authorization: "Bearer wrong" },
      });
      assertEquals(bad.status, 401);
      await bad.body?.cancel();
    } finally {
      client.close();
    }
    const config = await Deno.readTextFile(sim.kubeconfig);
    assertStringIncludes(config, "certificate-authority-data:");
    assertStringIncludes(config, "current-context: sim");
  }, { tls: true });
});

Deno.test("deno task sim prints one ready line and exits 0 on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const faults = `${dir}/faults.json`;
  await Deno.writeTextFile(
    faults,
    JSON.stringify({ requests: [{ path: "^/healthz$", status: 503 }] }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./main.ts", import.meta.url).pathname,
      "--nodes",
      "2",
      "--ready-after",
      "50ms",
      "--faults",
      faults,
      "--kubeconfig",
      `${dir}/kc.yaml`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const m = /^sim ready (http:\/\/127\.0\.0\.1:\d+) (\S+)\n$/.exec(out);
    assert(m, `unexpected output: ${out}`);
    assertEquals(m[2], `${dir}/kc.yaml`);
    const nodes = await (await fetch(`${m[1]}/api/v1/nodes`)).json();
    assertEquals(nodes.items.length, 2);
    const health = await fetch(`${m[1]}/healthz`);
    assertEquals(health.status, 503);
    await health.body?.cancel();
    child.kill("SIGTERM");
    const rest = await reader.read();
    assert(rest.done || rest.value === "", `more output: ${rest.value}`);
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
  } finally {
    const stderr = await new Response(child.stderr).text();
    const status = await child.status;
    assertEquals(status.code, 0, stderr);
    await Deno.remove(dir, { recursive: true });
  }
});
