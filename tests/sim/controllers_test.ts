import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { call, cm, withSim } from "./_calls.ts";
import { until } from "./_tools.ts";
import { startSim } from "./mod.ts";
import type { Rec } from "./object.ts";

Deno.test("deleting a namespace finalises it: contents go, creates are refused meanwhile", async () => {
  await withSim(async (sim) => {
    sim.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "doomed" } });
    sim.seed({
      ...cm("held"),
      metadata: { name: "held", namespace: "doomed", finalizers: ["example.com/hold"] },
    });
    sim.seed({ ...cm("plain"), metadata: { name: "plain", namespace: "doomed" } });
    const res = await call(sim, "DELETE", "/api/v1/namespaces/doomed");
    assertEquals((res.json.status as Rec).phase, "Terminating");
    const refused = await call(
      sim,
      "POST",
      "/api/v1/namespaces/doomed/configmaps",
      cm("new", {}, "doomed"),
    );
    assertEquals(refused.status, 403);
    assertStringIncludes(String(refused.json.message), "because it is being terminated");
    assert(await until(() => !sim.get("v1", "ConfigMap", "doomed", "plain")));
    assert(sim.get("v1", "ConfigMap", "doomed", "held")?.metadata.deletionTimestamp);
    assert(sim.get("v1", "Namespace", undefined, "doomed"));
    await call(sim, "PATCH", "/api/v1/namespaces/doomed/configmaps/held", {
      metadata: { finalizers: null },
    }, "application/merge-patch+json");
    assert(await until(() => !sim.get("v1", "Namespace", undefined, "doomed")));
  });
});

Deno.test("deleting an owner cascades to its dependents", async () => {
  await withSim(async (sim) => {
    const [owner] = sim.seed(cm("owner"));
    sim.seed({
      ...cm("dep"),
      metadata: {
        name: "dep",
        namespace: "default",
        ownerReferences: [{
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "owner",
          uid: owner.metadata.uid!,
        }],
      },
    });
    await call(sim, "DELETE", "/api/v1/namespaces/default/configmaps/owner");
    assertEquals(sim.get("v1", "ConfigMap", "default", "dep"), undefined);
  });
});

Deno.test("a Deployment gets a ReplicaSet, pods and ready status after its delay", async () => {
  await withSim(async (sim) => {
    sim.seed({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web",
        namespace: "default",
        annotations: { "sim.meshup.dev/ready-after-ms": "150" },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "c", image: "i:1" }] },
        },
      },
    });
    assert(await until(() => sim.list("v1", "Pod", "default").length === 2, 2000));
    const early = sim.get("apps/v1", "Deployment", "default", "web")!;
    assertEquals((early.status as Rec).readyReplicas, undefined);
    assert(
      await until(
        () =>
          (sim.get("apps/v1", "Deployment", "default", "web")?.status as Rec)?.readyReplicas === 2,
        2000,
      ),
    );
    const rs = sim.list("apps/v1", "ReplicaSet", "default");
    assertEquals(rs.length, 1);
    for (const pod of sim.list("v1", "Pod", "default")) {
      assertEquals((pod.status as Rec).phase, "Running");
      assertEquals(pod.metadata.ownerReferences?.[0].uid, rs[0].metadata.uid);
    }
    assertEquals(sim.controllers.delayFor(early), 150);
  });
});

Deno.test("jittered delays are fixed per object and seed, whatever the order", async () => {
  const delays = async (seed: number, order: string[]): Promise<Record<string, number>> => {
    const sim = await startSim({ readyAfterMs: 1000, jitter: 0.1, seed, workloads: false });
    try {
      const out: Record<string, number> = {};
      for (const name of order) {
        out[name] = sim.controllers.delayFor({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace: "default" },
        });
      }
      return out;
    } finally {
      await sim.close();
    }
  };
  const a = await delays(7, ["x", "y", "z"]);
  const b = await delays(7, ["z", "y", "x"]);
  assertEquals(a, b);
  for (const v of Object.values(a)) assert(v >= 900 && v <= 1100, `delay ${v}`);
  assert(new Set(Object.values(a)).size > 1, "no jitter");
  assert(JSON.stringify(await delays(8, ["x", "y", "z"])) !== JSON.stringify(a), "seed ignored");
});
