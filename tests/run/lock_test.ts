/**
 * One run per cluster: the Lease kube-system/meshup, taken lazily before the
 * first change, renewed, released; a live holder refuses a second run, a
 * silent one is taken over after its whole lease duration.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { countCmd, REPO, withCluster } from "../_cluster.ts";
import { main } from "../../Taskfile.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { Kube } from "../../lib/kube/kube.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { Redactor } from "../../lib/output/redact.ts";
import { HOLDER_KEY, LockHeldError, RunLock } from "../../lib/run/lock.ts";
import type { KubeObject } from "../../lib/kube/client.ts";

const LEASES = "^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";

function lease(
  holder: string,
  options: { durationSeconds: number; acquiredMsAgo?: number },
): KubeObject {
  const t = new Date(Date.now() - (options.acquiredMsAgo ?? 0)).toISOString();
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: "meshup",
      namespace: "kube-system",
      annotations: {
        [HOLDER_KEY]: JSON.stringify({
          user: "ann",
          host: holder,
          pid: 4242,
          command: "up",
          start: t,
        }),
      },
    },
    spec: {
      holderIdentity: `ann@${holder} pid 4242`,
      leaseDurationSeconds: options.durationSeconds,
      acquireTime: t,
      renewTime: t,
    },
  };
}

function liveLease(c: { sim: { get: (...a: string[]) => KubeObject | undefined } }): KubeObject {
  return c.sim.get("coordination.k8s.io/v1", "Lease", "kube-system", "meshup")!;
}

Deno.test("a changing run takes the lock before its first change and releases it at the end", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    const r = await c.run(["istio:base", "--only"]);
    assertEquals(r.code, 0, r.err);
    const l = liveLease(c);
    const spec = l.spec as Record<string, unknown>;
    assertEquals(spec.holderIdentity, "");
    assert(c.sim.requests.count({ method: "POST", path: LEASES }) >= 1);
    assert(c.sim.requests.count({ method: "PUT", path: LEASES }) >= 1);
    // the preflight spawned no probe: it looked kubectl and helm up and checked their headers
    assertEquals(countCmd(r.spawned, "helm", "version"), 0);
    assertEquals(countCmd(r.spawned, "kubectl", "version"), 0);
  });
});

Deno.test("a no-op run takes no lock and spawns no preflight", async () => {
  await withCluster(async (c) => {
    assertEquals((await c.run(["istio:base", "--only"])).code, 0);
    c.sim.requests.reset();
    const again = await c.run(["istio:base", "--only"]);
    assertEquals(again.code, 0, again.err);
    assertEquals(c.sim.requests.count({ path: LEASES }), 0);
    assertEquals(again.spawned, []);
  });
});

Deno.test("read-only commands take no lock", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    for (const args of [["plan"], ["doctor"], ["verify"]]) await c.run(args);
    assertEquals(c.sim.requests.count({ path: LEASES }), 0);
  });
});

Deno.test("a second run while the holder renews exits 2 naming the holder and its age, nothing applied", async () => {
  await withCluster(async (c) => {
    c.sim.seed(lease("other-box", { durationSeconds: 3, acquiredMsAgo: 90_000 }));
    // the holder renews every 300 ms, as a live run does
    const renewing = setInterval(() => {
      const l = liveLease(c);
      c.sim.seed({
        ...l,
        spec: { ...(l.spec as Record<string, unknown>), renewTime: new Date().toISOString() },
      });
    }, 300);
    try {
      const r = await c.run(["istio:base", "--only"]);
      assertEquals(r.code, 2);
      assertMatch(r.err, /"up" by ann@other-box pid 4242 for 9\ds/);
      assertStringIncludes(r.err, "hint:");
      assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
      assertEquals(c.sim.list("v1", "Secret", "istio-system").length, 0);
      const errors = r.events.filter((e) => e.type === "error");
      assertEquals(errors.length, 1);
    } finally {
      clearInterval(renewing);
    }
  });
});

Deno.test("a lock not renewed for its whole duration is taken over, with a warning", async () => {
  await withCluster(async (c) => {
    // acquired "in the future" by a skewed clock: staleness never compares clocks
    c.sim.seed(lease("crashed-box", { durationSeconds: 1, acquiredMsAgo: -3_600_000 }));
    const t0 = Date.now();
    const r = await c.run(["istio:base", "--only"]);
    assertEquals(r.code, 0, r.err);
    assert(Date.now() - t0 >= 1_000);
    const warn = r.events.find((e) => e.type === "log" && e.level === "warn");
    assert(warn && warn.type === "log");
    assertStringIncludes(warn.message, 'Took over the lock of "up" by ann@crashed-box');
    const spec = liveLease(c).spec as Record<string, unknown>;
    assertEquals(spec.leaseTransitions, 1);
  });
});

Deno.test("two runs taking over the same stale lock: the conditioned update lets one win", async () => {
  await withCluster(async (c) => {
    c.sim.seed(lease("crashed-box", { durationSeconds: 1 }));
    const api = await KubeClient.fromKubeconfig({ path: c.kubeconfig });
    const kube = new Kube({
      proc: new DenoProcessRunner(),
      target: {},
      redactor: new Redactor(),
      api,
    });
    const holder = (pid: number) => ({
      user: "t",
      host: "h",
      pid,
      command: "up",
      start: new Date().toISOString(),
    });
    const a = new RunLock(kube, { holder: holder(1), leaseDurationSeconds: 2, renewEveryMs: 200 });
    const b = new RunLock(kube, { holder: holder(2), leaseDurationSeconds: 2, renewEveryMs: 200 });
    try {
      const results = await Promise.allSettled([a.acquire(), b.acquire()]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assertEquals(won.length, 1);
      assertEquals(lost.length, 1);
      assert((lost[0] as PromiseRejectedResult).reason instanceof LockHeldError);
      assertEquals(a.held !== b.held, true);
    } finally {
      await a.release();
      await b.release();
      api.close();
    }
    assertEquals((liveLease(c).spec as Record<string, unknown>).holderIdentity, "");
  });
});

Deno.test("doctor and verify refuse a context other than the pinned one, as up does", async () => {
  await withCluster(async (c) => {
    for (const command of ["doctor", "verify"]) {
      c.sim.requests.reset();
      const r = await c.run([command], { env: { KUBE_CONTEXT: "production" } });
      assertEquals(r.code, 2, `${command}: ${r.out}`);
      assertStringIncludes(
        r.err,
        'Refusing to run against context "sim": the config pins "production"',
      );
      assertEquals(c.sim.requests.count({}), 0);
      const overridden = await c.run([command, "--context", "sim"], {
        env: { KUBE_CONTEXT: "production" },
      });
      assert(overridden.code !== 2, overridden.err);
    }
  });
});

Deno.test("a missing helm found by the preflight exits 2 before the first change, nothing applied", async () => {
  await withCluster(async (c) => {
    const bins = await kubeBinaries();
    const home = await Deno.makeTempDir({ prefix: "meshup-preflight-" });
    let err = "";
    try {
      c.sim.requests.reset();
      const code = await main(["istio:base", "--only", "--json"], {
        env: { ...c.env, KUBECONFIG: c.kubeconfig },
        cwd: REPO,
        tty: false,
        proc: new DenoProcessRunner({
          binaries: { kubectl: bins.kubectl, helm: "/nonexistent/helm" },
          env: { PATH: Deno.env.get("PATH") ?? "", HOME: home, KUBECONFIG: c.kubeconfig },
        }),
        io: { out: () => {}, err: (s) => void (err += s) },
      });
      assertEquals(code, 2);
      assertStringIncludes(err, 'Cannot run "helm": executable "/nonexistent/helm" not found');
      assertStringIncludes(err, "MESHUP_HELM");
      assertEquals(c.sim.list("v1", "Secret", "istio-system").length, 0);
      assertEquals(c.sim.requests.count({ path: LEASES }), 0);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
});
