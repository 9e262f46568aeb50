import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { CRD, MULTI, withKube } from "./_kubectl.ts";
import { until } from "./_tools.ts";
import type { KubeObject, Rec } from "./object.ts";

Deno.test("kubectl rollout status waits for a Deployment, a DaemonSet and a StatefulSet", async () => {
  await withKube(async (sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    for (const target of ["deploy/web", "ds/agent", "sts/db"]) {
      const r = await t.kubectl(["rollout", "status", target, "-n", "shop", "--timeout=20s"]);
      assertEquals(r.code, 0, r.output);
      assertMatch(r.stdout, /successfully rolled out|roll out complete/);
    }
    assertEquals(sim.list("v1", "Pod", "shop").length, 2 + 3 + 2);
    const pvcs = sim.list("v1", "PersistentVolumeClaim", "shop");
    assertEquals(pvcs.map((p) => p.metadata.name), ["data-db-0", "data-db-1"]);
    assert(
      await until(() =>
        sim.list("v1", "PersistentVolumeClaim", "shop").every((p) =>
          (p.status as Rec).phase === "Bound"
        )
      ),
    );
    const svc = sim.get("v1", "Service", "shop", "web")!;
    assertEquals(((svc.status as Rec).loadBalancer as Rec).ingress, [{
      ip: "127.0.0.2",
      ipMode: "VIP",
    }]);
  }, { nodes: 3 });
});

Deno.test("CrashLoopBackOff, ImagePullBackOff and Unschedulable pods show their reasons and events", async () => {
  await withKube(async (sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    assert(await until(() => sim.list("v1", "Pod", "shop").length === 6, 5000));
    assert(
      await until(() => sim.list("v1", "Event", "shop").some((e) => e.reason === "BackOff"), 5000),
    );
    const pods = await t.json(["get", "pods", "-n", "shop"]);
    const reasons = new Map<string, string>();
    for (const p of pods.items as KubeObject[]) {
      const status = p.status as Rec;
      const waiting =
        ((status.containerStatuses as Rec[] | undefined)?.[0]?.state as Rec | undefined)?.waiting as
          | Rec
          | undefined;
      const scheduled = (status.conditions as Rec[]).find((c) => c.type === "PodScheduled");
      reasons.set(String(p.metadata.labels?.tier), String(waiting?.reason ?? scheduled?.reason));
      if (waiting?.reason === "CrashLoopBackOff") {
        assertEquals((status.containerStatuses as Rec[])[0].restartCount, 7);
      }
    }
    assertEquals(reasons.get("web"), "CrashLoopBackOff");
    assertEquals(reasons.get("agent"), "ImagePullBackOff");
    assertEquals(reasons.get("db"), "Unschedulable");
    const events = await t.json([
      "get",
      "events",
      "-n",
      "shop",
      "--field-selector",
      "type=Warning",
    ]);
    const seen = new Set((events.items as Rec[]).map((e) => e.reason));
    for (const reason of ["BackOff", "Failed", "FailedScheduling"]) {
      assert(seen.has(reason), `no ${reason} event`);
    }
    const rollout = await t.kubectl([
      "rollout",
      "status",
      "deploy/web",
      "-n",
      "shop",
      "--timeout=1s",
    ]);
    assertEquals(rollout.code, 1);
  }, {
    nodes: 2,
    faults: {
      objects: [
        {
          kind: "Deployment",
          namespace: "shop",
          name: "web",
          fault: "crash-loop",
          restartCount: 7,
        },
        { kind: "DaemonSet", name: "agent", fault: "image-pull-backoff" },
        { kind: "StatefulSet", name: "/^d/", fault: "unschedulable" },
      ],
    },
  });
});

Deno.test("Jobs complete or fail, and kubectl wait sees the condition", async () => {
  await withKube(async (_sim, t) => {
    const job = (name: string): string =>
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: ${name}, namespace: default}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: "registry.invalid/job:1"}]\n`;
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], {
        stdin: `${job("ok")}---\n${job("bad")}`,
      })).code,
      0,
    );
    const done = await t.kubectl(["wait", "--for=condition=complete", "job/ok", "--timeout=10s"]);
    assertEquals(done.code, 0, done.output);
    const failed = await t.kubectl(["wait", "--for=condition=failed", "job/bad", "--timeout=10s"]);
    assertEquals(failed.code, 0, failed.output);
    const pods = await t.json(["get", "pods", "-l", "job-name=ok"]);
    assertEquals((pods.items as KubeObject[]).map((p) => (p.status as Rec).phase), ["Succeeded"]);
  }, { faults: { objects: [{ kind: "Job", name: "bad", fault: "job-failed" }] } });
});

Deno.test("progress deadline, stale observedGeneration and a never-Established CRD show in kubectl", async () => {
  await withKube(async (sim, t) => {
    const deploy = (name: string, image: string): string =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: c, image: "${image}"}]}\n`;
    const apply = (stdin: string): Promise<{ code: number }> =>
      t.kubectl(["apply", "--server-side", "-f", "-"], { stdin });
    assertEquals(
      (await apply(`${deploy("late", "i:1")}---\n${deploy("stale", "i:1")}---\n${CRD}`)).code,
      0,
    );
    const late = await t.kubectl(["rollout", "status", "deploy/late", "--timeout=10s"]);
    assertEquals(late.code, 1, late.output);
    assertStringIncludes(late.stderr, 'deployment "late" exceeded its progress deadline');
    assertEquals((await t.kubectl(["rollout", "status", "deploy/stale", "--timeout=10s"])).code, 0);
    assertEquals((await apply(deploy("stale", "i:2"))).code, 0);
    const stale = await t.kubectl(["rollout", "status", "deploy/stale", "--timeout=1s"]);
    assertEquals(stale.code, 1, stale.output);
    assertStringIncludes(stale.stdout, "Waiting for deployment spec update to be observed");
    const crd = await t.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/gadgets.example.com",
      "--timeout=1s",
    ]);
    assertEquals(crd.code, 1, crd.output);
    assertStringIncludes(crd.stderr, "timed out waiting for the condition");
    assertEquals(sim.registry.find("example.com", "v1", "gadgets"), undefined);
  }, {
    faults: {
      objects: [
        { kind: "Deployment", name: "late", fault: "progress-deadline" },
        { kind: "Deployment", name: "stale", fault: "stale-generation" },
        { kind: "CustomResourceDefinition", fault: "never-established" },
      ],
    },
  });
});
