import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { MULTI, withKube } from "./_kubectl.ts";
import { kubeconfigText } from "./kubeconfig.ts";

Deno.test("kubectl works over TLS with the kubeconfig's CA and token, and a wrong token gets 401", async () => {
  await withKube(async (sim, t) => {
    const ok = await t.kubectl(["get", "ns", "default", "-o", "name"]);
    assertEquals([ok.code, ok.stdout.trim()], [0, "namespace/default"], ok.output);
    const bad = `${t.home}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      kubeconfigText({ server: sim.url, caPem: sim.caPem, token: "wrong" }),
    );
    const denied = await t.kubectl(["--kubeconfig", bad, "get", "ns"]);
    assertEquals(denied.code, 1);
    assertMatch(denied.stderr, /Unauthorized|must be logged in/);
    assert(sim.requests.count({ status: 401 }) > 0);
  }, { tls: true });
});

Deno.test("a one-shot 429 is retried transparently and a 500 on a chosen path is surfaced", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({
      requests: [
        {
          method: "GET",
          path: "^/api/v1/namespaces/default/configmaps$",
          status: 429,
          retryAfter: 1,
          times: 1,
        },
        {
          method: "GET",
          path: "^/api/v1/namespaces/kube-system/configmaps$",
          status: 500,
          message: "injected",
        },
      ],
    });
    const retried = await t.kubectl(["get", "cm", "-n", "default", "-o", "name"]);
    assertEquals(retried.code, 0, retried.output);
    assertEquals(
      sim.requests.count({ method: "GET", path: "^/api/v1/namespaces/default/configmaps$" }),
      2,
    );
    const failed = await t.kubectl(["get", "cm", "-n", "kube-system"]);
    assertEquals(failed.code, 1);
    assertStringIncludes(failed.stderr, "Error from server (InternalError)");
    assertStringIncludes(failed.stderr, "injected");
  });
});

Deno.test("dropped watches are resumed from the last resourceVersion until the rollout is seen", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({ watches: [{ path: "deployments$", closeAfterMs: 250 }] });
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    const r = await t.kubectl(["rollout", "status", "deploy/web", "-n", "shop", "--timeout=20s"]);
    assertEquals(r.code, 0, r.output);
    const watches = sim.requests.list({ path: "deployments$" }).filter((e) => e.watch);
    assert(watches.length >= 2, `expected a re-watch, got ${watches.length}`);
    assert(watches.some((e) => /resourceVersion=\d+/.test(e.query)), "no resumed watch");
  }, { readyDelays: { "shop/Deployment/web": 1200 } });
});

Deno.test("request latency delays answers and a 410 on re-watch makes clients relist", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({
      requests: [{ method: "GET", path: "^/api/v1/namespaces/default$", latencyMs: 400 }],
    });
    const slow = await t.kubectl(["get", "ns", "default"]);
    assertEquals(slow.code, 0, slow.output);
    assert(slow.ms >= 400, `took ${slow.ms} ms`);
    sim.faults.set({
      watches: [
        { path: "deployments$", expireOnResume: true, times: 2 },
        { path: "deployments$", closeAfterMs: 200 },
      ],
    });
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    const r = await t.kubectl(["rollout", "status", "deploy/web", "-n", "shop", "--timeout=20s"]);
    assertEquals(r.code, 0, r.output);
    assert(sim.faults.snapshot().fired.watches[0] >= 1, "no watch was expired");
  }, { readyDelays: { "shop/Deployment/web": 1500 } });
});
