/**
 * Cilium and foreign releases on the simulator with the real helm and
 * kubectl: our own `--fix` left pending is repaired; a release someone
 * else left pending gets a hint whose command works; a release Flux
 * manages is never changed.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { countCmd, withCluster } from "../_cluster.ts";
import type { Cluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { FIX_REVISION_LABEL } from "../../lib/run/release_repair.ts";
import { decodeHelmRelease, helmReleaseSecret } from "../sim/mod.ts";

const failure = (events: RunEvent[]): string =>
  (events.find((e) => e.type === "step-failed") as { error: string } | undefined)?.error ?? "";

/** The latest revision of a release as helm stored it: [revision, status, labels]. */
function latest(c: Cluster, name: string, namespace: string): {
  revision: number;
  status: string;
  labels: Record<string, string>;
} {
  const secrets = c.sim.list("v1", "Secret", namespace)
    .filter((s) => s.metadata.labels?.owner === "helm" && s.metadata.labels?.name === name)
    .map((s) => s.metadata.labels!);
  const top = secrets.sort((a, b) => Number(b.version) - Number(a.version))[0];
  return { revision: Number(top?.version), status: top?.status ?? "", labels: top ?? {} };
}

/** The command a hint ends with (after "re-run: "), as argv. */
function hintCommand(text: string): string[] {
  const line = text.split("\n").find((l) => l.includes("re-run: ")) ?? "";
  return line.slice(line.indexOf("re-run: ") + "re-run: ".length).trim().split(/\s+/);
}

Deno.test("a fix whose final status write is lost (503) is repaired in the same run, and labelled ours", async () => {
  await withCluster(async (c) => {
    const seed = await c.installChart("cilium", { namespace: "kube-system" });
    assertEquals(seed.code, 0, seed.stderr);
    // helm logs a failed status write and exits 0: the revision stays pending-upgrade
    c.sim.faults.set({
      requests: [{
        method: "PUT",
        path: "/namespaces/kube-system/secrets/sh\\.helm\\.release\\.v1\\.cilium\\.v2$",
        status: 503,
        message: "the server is currently unable to handle the request",
        times: 1,
      }],
    });
    const fix = await c.run(["cilium", "--fix", "--timeout", "60s"]);
    assertEquals(fix.code, 0, failure(fix.events) + fix.err);
    assert(c.sim.requests.count({ status: 503 }) >= 1, "the fault was never hit");
    const rel = latest(c, "cilium", "kube-system");
    assertEquals(rel.status, "deployed");
    assertEquals(rel.labels[FIX_REVISION_LABEL], String(rel.revision));
    c.sim.faults.clear();
    const again = await c.run(["cilium", "--fix"]);
    assertEquals(again.code, 0, failure(again.events));
    assertEquals(countCmd(again.spawned, "helm", "upgrade"), 0);
  });
});

Deno.test("a Cilium release our interrupted fix left pending-upgrade is repaired by the next run", async () => {
  await withCluster(async (c) => {
    const seed = await c.installChart("cilium", {
      namespace: "kube-system",
      set: { "socketLB.hostNamespaceOnly": "true", "cni.exclusive": "false" },
    });
    assertEquals(seed.code, 0, seed.stderr);
    c.sim.seed(
      await helmReleaseSecret({
        name: "cilium",
        namespace: "kube-system",
        revision: 2,
        status: "pending-upgrade",
        chart: { name: "cilium", version: "1.18.0" },
        labels: { [FIX_REVISION_LABEL]: "2" },
      }),
    );
    // the config is already right: only the stuck record is left to repair
    const r = await c.run(["cilium", "--fix", "--timeout", "60s"]);
    assertEquals(r.code, 0, failure(r.events) + r.err);
    const done = r.events.find((e) => e.type === "step-done" && e.step === "config") as
      | { action: string }
      | undefined;
    assertEquals(done?.action, "repaired");
    assertEquals(latest(c, "cilium", "kube-system").status, "deployed");
  });
});

Deno.test("a foreign pending Cilium release is refused with a rollback to its last deployed revision that works", async () => {
  await withCluster(async (c) => {
    const seed = await c.installChart("cilium", { namespace: "kube-system" });
    assertEquals(seed.code, 0, seed.stderr);
    // someone else's upgrade, stuck; it inherited our label from an earlier fix of revision 1
    const v1 = c.sim.get("v1", "Secret", "kube-system", "sh.helm.release.v1.cilium.v1")!;
    c.sim.seed(
      await helmReleaseSecret({
        name: "cilium",
        namespace: "kube-system",
        revision: 2,
        status: "pending-upgrade",
        chart: { name: "cilium", version: "1.18.0" },
        manifest: String((await decodeHelmRelease(v1)).manifest),
        labels: { [FIX_REVISION_LABEL]: "1" },
      }),
    );
    const r = await c.run(["cilium", "--fix", "--timeout", "60s"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertStringIncludes(error, "was not left by meshup");
    assertStringIncludes(error, "helm rollback cilium 1 -n kube-system");
    assert(!/uninstall/.test(error), error);
    assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
    const hint = await c.tool(hintCommand(error));
    assertEquals(hint.code, 0, hint.stderr);
    const fixed = await c.run(["cilium", "--fix", "--timeout", "60s"]);
    assertEquals(fixed.code, 0, failure(fixed.events));
    assertEquals(latest(c, "cilium", "kube-system").status, "deployed");
  });
});

Deno.test("a foreign pending-install with no deployed revision gets a hint that deletes the stuck revision", async () => {
  await withCluster(async (c) => {
    const base = await c.run(["istio:base"]);
    assertEquals(base.code, 0, base.err);
    c.sim.seed(
      await helmReleaseSecret({
        name: "istiod",
        namespace: "istio-system",
        status: "pending-install",
        revision: 1,
        chart: { name: "istiod", version: "1.30.3" },
      }),
    );
    const r = await c.run(["istio:istiod", "--only"]);
    assertEquals(r.code, 1);
    const error = failure(r.events);
    assertStringIncludes(
      error,
      "kubectl delete secret sh.helm.release.v1.istiod.v1 -n istio-system",
    );
    const hint = await c.tool(hintCommand(error));
    assertEquals(hint.code, 0, hint.stderr);
    const again = await c.run(["istio:istiod", "--only", "--timeout", "60s"]);
    assertEquals(again.code, 0, failure(again.events));
  });
});
