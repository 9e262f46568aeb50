/**
 * A release on the longest chain starts its helm process alone: the
 * background releases that become ready with it (gateway and the Kiali
 * operator beside ztunnel, istio-cni beside istiod) start theirs once its
 * workloads exist.
 */
import { assert, assertEquals } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";

Deno.test("up starts background helm releases after the foreground release has applied its workloads", async () => {
  await withCluster(async (c) => {
    const created = new Map<string, number>();
    const unsubscribe = c.sim.store.subscribe((e) => {
      const key = `${e.object.kind}/${e.object.metadata.name}`;
      if (e.type === "ADDED" && !created.has(key)) created.set(key, Date.now());
    });
    const r = await c.run(["up"], { env: { KIALI_ENABLED: "true" } });
    unsubscribe();
    assertEquals(r.code, 0, r.err);
    const helmAt = (task: string): number => {
      const cmd = r.events.find((e): e is Extract<RunEvent, { type: "cmd" }> =>
        e.type === "cmd" && e.task === task && e.argv[0] === "helm"
      );
      assert(cmd, `a helm command of ${task}`);
      return Date.parse(cmd.time);
    };
    const ztunnel = created.get("DaemonSet/ztunnel");
    const istiod = created.get("Deployment/istiod");
    assert(ztunnel && istiod, "ztunnel and istiod were created");
    assert(helmAt("gateway") >= ztunnel, "gateway's helm waited for ztunnel's DaemonSet");
    assert(helmAt("kiali") >= ztunnel, "the Kiali operator's helm waited for ztunnel's DaemonSet");
    assert(helmAt("istio:cni") >= istiod, "istio-cni's helm waited for istiod's Deployment");
    assert(helmAt("istio:ztunnel") < ztunnel, "the foreground release did not wait");
  }, {
    // istiod takes longest, so that ztunnel, gateway and Kiali become ready together
    sim: { readyDelay: (o) => o.kind === "Deployment" && o.metadata.name === "istiod" ? 400 : 30 },
  });
});
