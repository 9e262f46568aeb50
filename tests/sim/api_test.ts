import { assert, assertEquals } from "../_assert.ts";
import { call, cm, withSim } from "./_calls.ts";
import { encodeSecretProtobuf, type KubeObject } from "./mod.ts";
import type { Rec } from "./object.ts";

const enc = new TextEncoder();

Deno.test("lists honour label and field selectors, across namespaces too", async () => {
  await withSim(async (sim) => {
    sim.seed([cm("a", { app: "x", tier: "web" }), cm("b", { app: "x" }), cm("c", { app: "y" })]);
    sim.seed({
      ...cm("d", { app: "x" }),
      metadata: { name: "d", namespace: "other", labels: { app: "x" } },
    });
    const names = async (path: string): Promise<string[]> =>
      ((await call(sim, "GET", path)).json.items as KubeObject[]).map((o) => o.metadata.name!);
    assertEquals(await names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx"), [
      "a",
      "b",
    ]);
    assertEquals(await names("/api/v1/configmaps?labelSelector=app%3Dx"), ["a", "b", "d"]);
    assertEquals(await names("/api/v1/configmaps?labelSelector=app%3Dx,!tier"), ["b", "d"]);
    assertEquals(await names("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother"), ["d"]);
    assertEquals(
      await names("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc"),
      ["c"],
    );
    const list = await call(sim, "GET", "/api/v1/configmaps");
    assert(Number((list.json.metadata as Rec).resourceVersion) > 0);
  });
});

Deno.test("POST, PUT and DELETE follow the API server's rules", async () => {
  await withSim(async (sim) => {
    const base = "/api/v1/namespaces/default/configmaps";
    const first = await call(sim, "POST", base, cm("x"));
    assertEquals(first.status, 201);
    assertEquals((await call(sim, "POST", base, cm("x"))).json.reason, "AlreadyExists");
    const missing = await call(
      sim,
      "POST",
      "/api/v1/namespaces/nope/configmaps",
      cm("x", {}, "nope"),
    );
    assertEquals([missing.status, missing.json.message], [404, 'namespaces "nope" not found']);
    const gen = await call(sim, "POST", base, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { generateName: "gen-" },
    });
    assert(String((gen.json.metadata as Rec).name).startsWith("gen-"));
    const stale = await call(sim, "PUT", `${base}/x`, {
      ...cm("x"),
      metadata: { name: "x", resourceVersion: "1" },
    });
    assertEquals([stale.status, stale.json.reason], [409, "Conflict"]);
    const put = await call(sim, "PUT", `${base}/x`, { ...cm("x"), data: { k: "new" } });
    assertEquals([put.status, (put.json.data as Rec).k], [200, "new"]);
    const deleted = await call(sim, "DELETE", `${base}/x`, { propagationPolicy: "Background" });
    assertEquals([deleted.status, (deleted.json.metadata as Rec).name], [200, "x"]);
    assertEquals((await call(sim, "GET", `${base}/x`)).status, 404);
  });
});

Deno.test("server defaults are stored and generation moves only with the spec", async () => {
  await withSim(async (sim) => {
    const deploy = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "d" } },
        template: {
          metadata: { labels: { app: "d" } },
          spec: { containers: [{ name: "c", image: "i:1" }] },
        },
      },
    };
    const created = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
      deploy,
      "application/apply-patch+yaml",
    );
    assertEquals(created.status, 201);
    const spec = created.json.spec as Rec;
    assertEquals([spec.replicas, spec.progressDeadlineSeconds, (spec.strategy as Rec).type], [
      1,
      600,
      "RollingUpdate",
    ]);
    assertEquals((created.json.metadata as Rec).generation, 1);
    const same = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
      deploy,
      "application/apply-patch+yaml",
    );
    assertEquals([same.status, (same.json.metadata as Rec).generation], [200, 1]);
    const labelled = await call(sim, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", {
      metadata: { labels: { x: "1" } },
    }, "application/merge-patch+json");
    assertEquals((labelled.json.metadata as Rec).generation, 1);
    const scaled = await call(sim, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", {
      spec: { replicas: 3 },
    }, "application/strategic-merge-patch+json");
    assertEquals((scaled.json.metadata as Rec).generation, 2);
    const status = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d/status",
      { spec: { replicas: 9 }, status: { replicas: 7 } },
      "application/merge-patch+json",
    );
    assertEquals([(status.json.spec as Rec).replicas, (status.json.metadata as Rec).generation], [
      3,
      2,
    ]);
    const ds = await call(sim, "POST", "/apis/apps/v1/namespaces/default/daemonsets", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "ds" },
      spec: deploy.spec,
    });
    assertEquals(((ds.json.spec as Rec).updateStrategy as Rec).type, "RollingUpdate");
    const svc = await call(sim, "POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    });
    const svcSpec = svc.json.spec as Rec;
    assert(/^10\.96\./.test(String(svcSpec.clusterIP)));
    assertEquals((svcSpec.ports as Rec[])[0].targetPort, 80);
    const ns = await call(sim, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "n1" },
    });
    assertEquals((ns.json.spec as Rec).finalizers, ["kubernetes"]);
    assertEquals((ns.json.status as Rec).phase, "Active");
    assertEquals(((ns.json.metadata as Rec).labels as Rec)["kubernetes.io/metadata.name"], "n1");
  });
});

Deno.test("protobuf Secret bodies are decoded, replies are JSON", async () => {
  await withSim(async (sim) => {
    const body = encodeSecretProtobuf({
      name: "s1",
      labels: { owner: "helm" },
      data: { release: enc.encode("abc") },
      type: "helm.sh/release.v1",
    });
    const res = await call(
      sim,
      "POST",
      "/api/v1/namespaces/default/secrets",
      body,
      "application/vnd.kubernetes.protobuf",
    );
    assertEquals(res.status, 201);
    assertEquals((res.json.data as Rec).release, "YWJj");
    assertEquals(res.headers.get("content-type"), "application/json");
    const put = await call(
      sim,
      "PUT",
      "/api/v1/namespaces/default/secrets/s1",
      body,
      "application/vnd.kubernetes.protobuf",
    );
    assertEquals(put.status, 200);
  });
});
