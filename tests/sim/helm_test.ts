import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { withKube } from "./_kubectl.ts";
import { CHARTS } from "./_tools.ts";
import { serveChartRepo } from "./chart_repo.ts";
import { decodeHelmRelease, helmReleaseSecret } from "./mod.ts";
import type { KubeObject, Rec } from "./object.ts";

const DEMO = `${CHARTS}demo`;

const withHelm = withKube;

const install = (release: string, ...extra: string[]): string[] => [
  "upgrade",
  "--install",
  release,
  DEMO,
  "-n",
  "apps",
  "--create-namespace",
  "--wait",
  ...extra,
];

Deno.test("helm installs the fixture chart with --wait, upgrades it, lists it, shows values and uninstalls it", async () => {
  await withHelm(async (sim, t) => {
    const first = await t.helm(install("demo", "--timeout", "30s"));
    assertEquals(first.code, 0, first.output);
    assertStringIncludes(first.stdout, "STATUS: deployed");
    const crd = sim.get(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      undefined,
      "widgets.demo.meshup.dev",
    );
    assert(crd, "the chart's CRD was not installed");
    assert(sim.get("apps/v1", "Deployment", "apps", "demo-web"));
    assertEquals(sim.list("v1", "Pod", "apps").length, 2);
    const svc = sim.get("v1", "Service", "apps", "demo-web")!;
    assertEquals(((svc.status as Rec).loadBalancer as Rec).ingress, [{
      ip: "127.0.0.2",
      ipMode: "VIP",
    }]);
    const protobufPosts = sim.requests.list({ method: "POST", path: "/secrets$" })
      .filter((e) => e.contentType.includes("protobuf"));
    assertEquals(protobufPosts.length, 1);

    const second = await t.helm(
      install("demo", "--timeout", "30s", "--set", "message=bye", "--set", "replicas=2"),
    );
    assertEquals(second.code, 0, second.output);
    assertStringIncludes(second.stdout, "REVISION: 2");
    assertEquals(sim.list("v1", "Pod", "apps").length, 3);

    const list = await t.helm(["list", "-A", "-o", "json"]);
    assertEquals(list.code, 0, list.output);
    const releases = JSON.parse(list.stdout) as Rec[];
    assertEquals(releases.map((r) => [r.name, r.namespace, r.revision, r.status, r.chart]), [
      ["demo", "apps", "2", "deployed", "demo-0.1.0"],
    ]);
    const values = await t.helm(["get", "values", "demo", "-n", "apps", "-o", "json"]);
    assertEquals(JSON.parse(values.stdout), { message: "bye", replicas: 2 });
    const stored = sim.list("v1", "Secret", "apps").filter((s) =>
      s.metadata.labels?.owner === "helm"
    );
    assertEquals(stored.map((s) => s.metadata.labels?.status).sort(), ["deployed", "superseded"]);
    const record = await decodeHelmRelease(stored.find((s) => s.metadata.labels?.version === "2")!);
    assertEquals((record.info as Rec).status, "deployed");

    const gone = await t.helm(["uninstall", "demo", "-n", "apps", "--wait", "--timeout", "30s"]);
    assertEquals(gone.code, 0, gone.output);
    assertEquals(sim.get("apps/v1", "Deployment", "apps", "demo-web"), undefined);
    assertEquals(sim.list("v1", "Pod", "apps").length, 0);
    assertEquals(
      sim.list("v1", "Secret", "apps").filter((s) => s.metadata.labels?.owner === "helm").length,
      0,
    );
    const empty = await t.helm(["list", "-A", "-o", "json"]);
    assertEquals(JSON.parse(empty.stdout), []);
  });
});

Deno.test("helm installs from a loopback chart repository with --repo and --version", async () => {
  const repo = await serveChartRepo([DEMO]);
  try {
    await withHelm(async (sim, t) => {
      const r = await t.helm([
        "upgrade",
        "--install",
        "fromrepo",
        "demo",
        "--repo",
        repo.url,
        "--version",
        "0.1.0",
        "-n",
        "apps",
        "--create-namespace",
        "--wait",
        "--timeout",
        "30s",
        "--labels",
        "meshup.dev/fingerprint=abc123",
      ]);
      assertEquals(r.code, 0, r.output);
      assert(sim.get("apps/v1", "DaemonSet", "apps", "fromrepo-agent"));
      const secrets = await t.json(["get", "secrets", "-A", "-l", "owner=helm"]);
      const labels = (secrets.items as KubeObject[]).map((s) => s.metadata.labels ?? {});
      assertEquals(labels.map((l) => [l.name, l.status, l["meshup.dev/fingerprint"]]), [
        ["fromrepo", "deployed", "abc123"],
      ]);
      const missing = await t.helm([
        "upgrade",
        "--install",
        "x",
        "demo",
        "--repo",
        repo.url,
        "--version",
        "9.9.9",
        "-n",
        "apps",
      ]);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, "9.9.9");
    });
  } finally {
    await repo.close();
  }
});

Deno.test("helm's wait fails naming the resource when a workload never becomes ready", async () => {
  await withHelm(async (sim, t) => {
    const r = await t.helm(install("slow", "--timeout", "4s"));
    assertEquals(r.code, 1, r.output);
    assertMatch(r.stderr, /Deployment\/apps\/slow-web|slow-web/);
    assertStringIncludes(r.stderr, "context deadline exceeded");
    const secret = sim.list("v1", "Secret", "apps").find((s) =>
      s.metadata.labels?.owner === "helm"
    )!;
    assertEquals(secret.metadata.labels?.status, "failed");
  }, { faults: { objects: [{ kind: "Deployment", name: "slow-web", fault: "never-ready" }] } });
});

Deno.test("a Deployment past its progress deadline fails helm's wait quickly", async () => {
  await withHelm(async (_sim, t) => {
    const r = await t.helm(install("late", "--timeout", "30s"));
    assertEquals(r.code, 1, r.output);
    assertStringIncludes(r.stderr, "Progress deadline exceeded");
    assert(r.ms < 15_000, `took ${r.ms} ms`);
  }, { faults: { objects: [{ kind: "Deployment", fault: "progress-deadline" }] } });
});

Deno.test("CrashLoopBackOff pods of a StatefulSet fail helm fast, with reasons and events visible", async () => {
  await withHelm(async (sim, t) => {
    const r = await t.helm(
      install("crashy", "--timeout", "30s", "--set", "statefulSet.enabled=true"),
    );
    assertEquals(r.code, 1, r.output);
    assertStringIncludes(r.stderr, "crashy-store");
    assertStringIncludes(r.stderr, "status: Failed");
    assert(r.ms < 15_000, `took ${r.ms} ms`);
    const pod = await t.json(["get", "pod", "crashy-store-0", "-n", "apps"]);
    const cs = ((pod.status as Rec).containerStatuses as Rec[])[0];
    assertEquals(((cs.state as Rec).waiting as Rec).reason, "CrashLoopBackOff");
    assertEquals(cs.restartCount, 4);
    const events = await t.json([
      "get",
      "events",
      "-n",
      "apps",
      "--field-selector",
      "reason=BackOff",
    ]);
    const messages = (events.items as Rec[]).map((e) => String(e.message));
    assert(
      messages.some((m) => m.startsWith("Back-off restarting failed container store")),
      messages.join("\n"),
    );
    void sim;
  }, { faults: { objects: [{ kind: "StatefulSet", fault: "crash-loop", restartCount: 4 }] } });
});

Deno.test("a release stuck in pending-install makes helm report another operation in progress", async () => {
  const stuck = await helmReleaseSecret({
    name: "stuck",
    namespace: "apps",
    status: "pending-install",
    chart: { name: "demo", version: "0.1.0", appVersion: "1.0.0" },
  });
  await withHelm(async (_sim, t) => {
    const list = await t.helm(["list", "-n", "apps", "-o", "json"]);
    assertEquals((JSON.parse(list.stdout) as Rec[]).map((r) => r.status), ["pending-install"]);
    const r = await t.helm(install("stuck", "--timeout", "10s"));
    assertEquals(r.code, 1, r.output);
    assertStringIncludes(r.stderr, "another operation (install/upgrade/rollback) is in progress");
  }, { faults: { seed: [stuck] } });
});

Deno.test("an existing object without helm's ownership metadata stops the install", async () => {
  await withHelm(async (sim, t) => {
    sim.seed({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "owned-config", namespace: "apps" },
      data: {},
    });
    const r = await t.helm(install("owned", "--timeout", "10s"));
    assertEquals(r.code, 1, r.output);
    assertStringIncludes(r.stderr, "invalid ownership metadata");
  });
});

Deno.test("helm surfaces a 500 on its release Secret, retries a one-shot 429, and fails on /version 500", async () => {
  await withHelm(async (sim, t) => {
    sim.faults.set({
      requests: [{
        method: "POST",
        path: "^/api/v1/namespaces/apps/secrets$",
        status: 500,
        message: "injected",
      }],
    });
    const failed = await t.helm(install("r500", "--timeout", "10s"));
    assertEquals(failed.code, 1, failed.output);
    assertStringIncludes(failed.stderr, "injected");

    sim.faults.set({
      requests: [{
        method: "PATCH",
        path: "/deployments/r429-web$",
        status: 429,
        retryAfter: 1,
        times: 1,
      }],
    });
    const retried = await t.helm(install("r429", "--timeout", "30s"));
    assertEquals(retried.code, 0, retried.output);
    assertEquals(sim.requests.count({ method: "PATCH", path: "/deployments/r429-web$" }), 2);

    sim.faults.set({ requests: [{ path: "^/version$", status: 500 }] });
    const down = await t.helm(["list", "-A"]);
    assertEquals(down.code, 1);
    assertStringIncludes(down.stderr, "kubernetes cluster unreachable");
  });
});

Deno.test("helm's wait survives watches that the server keeps closing", async () => {
  await withHelm(async (sim, t) => {
    sim.faults.set({ watches: [{ path: "/(deployments|daemonsets)$", closeAfterEvents: 1 }] });
    const r = await t.helm(install("flaky", "--timeout", "30s"));
    assertEquals(r.code, 0, r.output);
    const watches = sim.requests.list({ path: "/deployments$" }).filter((e) => e.watch);
    assert(watches.length >= 2, `expected re-watches, got ${watches.length}`);
    const d = sim.get("apps/v1", "Deployment", "apps", "flaky-web") as KubeObject;
    assertEquals((d.status as Rec).readyReplicas, 1);
  }, { readyDelays: { "apps/Deployment/flaky-web": 600 } });
});

Deno.test("a post-install hook Job runs to completion and is deleted", async () => {
  await withHelm(async (sim, t) => {
    const r = await t.helm(install("hooked", "--timeout", "30s", "--set", "hookJob.enabled=true"));
    assertEquals(r.code, 0, r.output);
    assert(sim.requests.count({ path: "/namespaces/apps/jobs(/hooked-migrate)?$" }) >= 1);
    assertEquals(sim.get("batch/v1", "Job", "apps", "hooked-migrate"), undefined);
  });
});

Deno.test("helm with --server-side=false installs and upgrades through strategic merge patches", async () => {
  await withHelm(async (sim, t) => {
    const first = await t.helm(install("csa", "--server-side=false", "--timeout", "30s"));
    assertEquals(first.code, 0, first.output);
    const second = await t.helm(
      install("csa", "--server-side=false", "--timeout", "30s", "--set", "message=two"),
    );
    assertEquals(second.code, 0, second.output);
    assertEquals((sim.get("v1", "ConfigMap", "apps", "csa-config")!.data as Rec).message, "two");
    assert(sim.requests.count({ method: "PATCH", path: "/configmaps/csa-config$" }) >= 1);
  });
});
