/**
 * `verify` failing each check for its own reason after `up` on the simulated
 * API server: selectors, nodes without pods, unready pods, namespaces,
 * tracing providers, monitors and the Kiali CR.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import type { Rec } from "../sim/mod.ts";
import { byId, deadAddress, kubectl, PROMETHEUS_CRDS, up, verify } from "./_verify.ts";

Deno.test("verify fails the bookinfo gateway when its selector is upstream's istio=ingressgateway", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(
      c,
      "patch",
      "gateways.networking.istio.io",
      "bookinfo-gateway",
      "--namespace=book-info",
      "--type=merge",
      '--patch={"spec":{"selector":{"istio":"ingressgateway"}}}',
    );
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "bookinfo-gateway",
    );
    assertEquals(r.status, "fail");
    assertEquals(
      r.detail,
      "Gateway book-info/bookinfo-gateway selector istio=ingressgateway matches no pod in " +
        "istio-ingress; the gateway's pods have istio=gateway,app=istio-gateway",
    );
    assertStringIncludes(r.hint ?? "", "set the Gateway's selector to istio: gateway");
  });
});

Deno.test("verify fails ztunnel and istio-cni when a schedulable node has none of their pods", async () => {
  await withCluster(async (c) => {
    await up(c);
    const node = c.sim.get("v1", "Node", undefined, "sim-node-1");
    assert(node);
    // a new node the DaemonSets have not reached, and a tainted one they need not reach
    c.sim.seed([
      { ...node, metadata: { name: "sim-node-2", labels: node.metadata.labels } } as Rec,
      {
        ...node,
        metadata: { name: "sim-node-3", labels: node.metadata.labels },
        spec: { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] },
      } as Rec,
    ]);
    const results = await verify(c, { address: deadAddress(), timeoutMs: 1000 });
    for (const id of ["ztunnel", "istio-cni"]) {
      const r = byId(results, id);
      assertEquals(r.status, "fail", id);
      assertMatch(r.detail, /is scheduled on 1 of 2 schedulable nodes \(no pod on sim-node-2\)$/);
      assertStringIncludes(r.hint ?? "", "describe ds/");
    }
  });
});

Deno.test("verify fails a DaemonSet whose pods are not ready, naming the pod and why", async () => {
  await withCluster(async (c) => {
    await up(c);
    c.sim.faults.set({
      objects: [{
        kind: "DaemonSet",
        namespace: "istio-system",
        name: "ztunnel",
        fault: "crash-loop",
      }],
    });
    // a template change makes the controller roll the pods, into the fault
    await kubectl(
      c,
      "patch",
      "daemonset",
      "ztunnel",
      "--namespace=istio-system",
      "--type=merge",
      '--patch={"spec":{"template":{"metadata":{"annotations":{"test/restart":"1"}}}}}',
    );
    let r: CheckResult | undefined;
    for (let i = 0; i < 50; i++) {
      r = byId(await verify(c, { address: deadAddress(), timeoutMs: 1000 }), "ztunnel");
      if (r.status === "fail") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert(r);
    assertEquals(r.status, "fail");
    assertMatch(r.detail, /ready on 0 of 1 nodes: pod ztunnel-[a-z0-9-]+ CrashLoopBackOff/);
  });
});

Deno.test("verify fails a bookinfo namespace without the ambient label", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(c, "label", "namespace", "book-info", "istio.io/dataplane-mode-");
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "ambient-namespaces",
    );
    assertEquals(r.status, "fail");
    assertEquals(r.detail, "namespace book-info has no istio.io/dataplane-mode label");
    assertStringIncludes(r.hint ?? "", "istio.io/dataplane-mode=ambient");
  });
});

Deno.test("verify fails when the Telemetry resource names a provider istiod's meshConfig lacks", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(
      c,
      "patch",
      "telemetries.telemetry.istio.io",
      "mesh-default",
      "--namespace=istio-system",
      "--type=json",
      '--patch=[{"op":"replace","path":"/spec/tracing/0/providers/0/name","value":"zipkin"}]',
    );
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "tracing-provider",
    );
    assertEquals(r.status, "fail");
    assertEquals(
      r.detail,
      'Telemetry istio-system/mesh-default names provider "zipkin", but istiod\'s meshConfig ' +
        'defines "opentelemetry"',
    );
  });
});

Deno.test("verify fails a missing monitor when monitors are on, and a Kiali CR that reports a failure", async () => {
  await withCluster(async (c) => {
    const env = { TELEMETRY_MONITORS: "on" };
    c.sim.seed(PROMETHEUS_CRDS);
    await up(c, env);
    await kubectl(
      c,
      "delete",
      "podmonitors.monitoring.coreos.com",
      "ztunnel",
      "-n",
      "istio-system",
    );
    const cr = c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali");
    assert(cr);
    c.sim.seed({
      ...cr,
      status: {
        conditions: [
          { type: "Running", status: "False", reason: "Failed", message: "" },
          {
            type: "Failure",
            status: "True",
            reason: "Failed",
            message: "Cannot reach Prometheus at http://prometheus.monitoring:9090",
          },
        ],
      },
    } as Rec);
    const results = await verify(c, { env, address: deadAddress(), timeoutMs: 1000 });
    const monitors = byId(results, "monitors");
    assertEquals(monitors.status, "fail");
    assertEquals(monitors.detail, "PodMonitor istio-system/ztunnel not found");
    const kiali = byId(results, "kiali-cr");
    assertEquals(kiali.status, "fail");
    assertStringIncludes(kiali.detail, "Cannot reach Prometheus");
  });
});
