/**
 * The apply engine under faults: unready and crashing workloads, API errors,
 * dropped watches, releases left pending, interrupted runs.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { countCmd, withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { FINGERPRINT_KEY } from "../../lib/plan/fingerprint.ts";
import { REVISION_LABEL } from "../../lib/kube/argv.ts";
import { helmReleaseSecret } from "../sim/mod.ts";

type Summary = Extract<RunEvent, { type: "summary" }>;
const outcomes = (events: RunEvent[]): Record<string, string> =>
  Object.fromEntries(
    (events.find((e) => e.type === "summary") as Summary).tasks.map((t) => [t.id, t.outcome]),
  );
const failure = (events: RunEvent[]): string =>
  (events.find((e) => e.type === "step-failed") as { error: string } | undefined)?.error ?? "";

Deno.test("a failing branch skips only its dependents while independent tasks finish", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      objects: [{
        kind: "Deployment",
        namespace: "istio-ingress",
        name: "istio-gateway",
        fault: "never-ready",
      }],
    });
    const r = await c.run(["up", "--timeout", "4s"]);
    assertEquals(r.code, 1);
    const o = outcomes(r.events);
    assertEquals(o.gateway, "failed");
    assertEquals(o.bookinfo, "not-run");
    assertEquals(o.up, "not-run");
    for (const id of ["istio:ztunnel", "telemetry", "kiali"]) assertEquals(o[id], "done", id);
  });
});

Deno.test("a crash-looping workload fails with its pod, reason, restarts and last event named", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      objects: [{
        kind: "Deployment",
        namespace: "istio-system",
        name: "istiod",
        fault: "crash-loop",
        restartCount: 7,
      }],
    });
    const r = await c.run(["istio:istiod", "--timeout", "4s"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertMatch(error, /pod istiod-[a-z0-9-]+/);
    assertStringIncludes(error, "CrashLoopBackOff");
    assertStringIncludes(error, "restarts 7");
    assertStringIncludes(error, "BackOff");
    assertStringIncludes(error, "kubectl -n istio-system");
  });
});

Deno.test("a wait step that times out names the unready object and why", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      objects: [{
        kind: "Deployment",
        namespace: "kiali",
        name: "kiali",
        fault: "image-pull-backoff",
      }],
    });
    const r = await c.run(["kiali", "--only", "--timeout", "3s"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertStringIncludes(error, 'Cannot ready "kiali/server": not ready after 3s');
    assertStringIncludes(error, "ImagePullBackOff");
  });
});

Deno.test("injected 429s and 500s and dropped watches are survived", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      requests: [
        {
          method: "PATCH",
          path: "telemetries/mesh-default$",
          status: 500,
          message: "etcd hiccup",
          times: 2,
        },
        { method: "GET", path: "^/api/v1/secrets$", status: 429, retryAfter: 1, times: 1 },
      ],
      watches: [{ path: "deployments", closeAfterEvents: 1 }],
    });
    const r = await c.run(["up", "--timeout", "60s"]);
    assertEquals(r.code, 0, failure(r.events) + r.err);
    const retries = r.events.filter((e) => e.type === "retry");
    assert(retries.length >= 2, `expected our retries, got ${retries.length}`);
    assert(c.sim.requests.count({ status: 500 }) >= 2);
    assert(c.sim.requests.count({ status: 429 }) >= 1);
  });
});

Deno.test("a 500 that does not go away fails the step with the command, exit code and stderr", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      requests: [{
        method: "PATCH",
        path: "telemetries/mesh-default$",
        status: 403,
        message: "forbidden by policy",
      }],
    });
    const r = await c.run(["telemetry", "--timeout", "30s"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertStringIncludes(error, "Command failed: kubectl apply --server-side");
    // applied in process: the server's status stands where kubectl's exit code stood
    assertStringIncludes(error, "403 Forbidden");
    assertStringIncludes(error, "forbidden by policy");
    assertEquals(r.events.filter((e) => e.type === "retry").length, 0);
  });
});

Deno.test("a release our interrupted run left pending-install is repaired; a foreign one is refused", async () => {
  await withCluster(async (c) => {
    const base = await c.run(["istio:base"]);
    assertEquals(base.code, 0, base.err);
    c.sim.seed(
      await helmReleaseSecret({
        name: "istiod",
        namespace: "istio-system",
        status: "pending-install",
        chart: { name: "istiod", version: "1.30.3" },
        // the revision it was to make: 1
        labels: { [FINGERPRINT_KEY]: "0123456789abcdef0123", [REVISION_LABEL]: "1" },
      }),
    );
    const r = await c.run(["istio:istiod", "--only"]);
    assertEquals(r.code, 0, failure(r.events));
    const done = r.events.find((e) => e.type === "step-done") as { action: string };
    assertEquals(done.action, "repaired");
    c.sim.seed(
      await helmReleaseSecret({
        name: "istio-cni",
        namespace: "istio-system",
        status: "pending-upgrade",
        revision: 1,
        chart: { name: "cni", version: "1.30.3" },
      }),
    );
    const foreign = await c.run(["istio:cni", "--only"]);
    assertEquals(foreign.code, 1);
    assertStringIncludes(failure(foreign.events), "was not left by meshup");
  });
});

Deno.test("another tool's upgrade of our release, stuck pending, is refused though it carries our labels", async () => {
  await withCluster(async (c) => {
    const first = await c.run(["istio:base"]);
    assertEquals(first.code, 0, first.err);
    const ours = c.sim.list("v1", "Secret", "istio-system")
      .find((s) => s.metadata.name === "sh.helm.release.v1.istio-base.v1");
    assert(ours, "our revision 1");
    const labels = ours.metadata.labels ?? {};
    assertEquals(labels[REVISION_LABEL], "1");
    // `helm upgrade istio-base ...` by hand, interrupted: helm carried our labels over to revision 2
    c.sim.seed(
      await helmReleaseSecret({
        name: "istio-base",
        namespace: "istio-system",
        status: "pending-upgrade",
        revision: 2,
        chart: { name: "base", version: "1.30.3" },
        labels: { [FINGERPRINT_KEY]: labels[FINGERPRINT_KEY], [REVISION_LABEL]: "1" },
      }),
    );
    const r = await c.run(["istio:base", "--force"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertStringIncludes(error, "pending-upgrade (revision 2) and was not left by meshup");
    assertStringIncludes(error, "helm rollback istio-base 1");
    assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
    const kept = c.sim.list("v1", "Secret", "istio-system")
      .some((s) => s.metadata.name === "sh.helm.release.v1.istio-base.v2");
    assert(kept, "the other tool's revision is left alone");
  });
});

Deno.test("a run interrupted mid-way stops cleanly and the next run converges", async () => {
  await withCluster(async (c) => {
    const controller = new AbortController();
    c.sim.faults.set({
      objects: [{
        kind: "Deployment",
        namespace: "istio-system",
        name: "istiod",
        fault: "never-ready",
      }],
    });
    // the first interrupt lets helm finish, the second stops it (istiod never gets ready)
    const kill = new AbortController();
    const pending = c.run(["up", "--timeout", "60s"], {
      signal: controller.signal,
      killSignal: kill.signal,
    });
    // interrupt once istiod's release is being installed
    for (
      let i = 0;
      i < 400 &&
      !c.sim.list("v1", "Secret", "istio-system").some((s) => s.metadata.labels?.name === "istiod");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
    controller.abort();
    kill.abort();
    const first = await pending;
    // issue 9.7: an interrupted run exits 130 (it was 1)
    assertEquals(first.code, 130);
    const o = outcomes(first.events);
    assertEquals(o.bookinfo, "not-run");
    c.sim.faults.clear();
    const second = await c.run(["up", "--timeout", "60s"]);
    assertEquals(second.code, 0, failure(second.events));
    const third = await c.run(["up"]);
    assertEquals(countCmd(third.spawned, "helm", "upgrade"), 0);
  });
});
