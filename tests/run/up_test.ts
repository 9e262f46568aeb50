/**
 * The apply engine against the simulated API server, with the real kubectl
 * and helm and the stand-in charts: every target, `up`, re-runs, changes,
 * `down`.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { countCmd, countRan, withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { TASKS } from "../../Taskfile.ts";

type Summary = Extract<RunEvent, { type: "summary" }>;
const summary = (events: RunEvent[]): Summary =>
  events.find((e) => e.type === "summary") as Summary;
const outcomes = (events: RunEvent[]): Record<string, string> =>
  Object.fromEntries(summary(events).tasks.map((t) => [t.id, t.outcome]));
const done = (events: RunEvent[]): string[] =>
  events.filter((e) => e.type === "step-done").map((e) =>
    `${(e as { task: string }).task}/${(e as { step: string }).step}`
  );

Deno.test("every target runs on its own, then up converges and a re-run spawns no helm upgrade or kubectl apply", async () => {
  await withCluster(async (c) => {
    const env = { BOOKINFO_WAYPOINT: "true", TELEMETRY_MONITORS: "on" };
    // the monitors need the Prometheus Operator CRDs: install the stand-in
    const crds = await c.run(["istio:base"], { env });
    assertEquals(crds.code, 0, crds.err);
    const prom = await c.installChart("prometheus-operator-crds", { namespace: "monitoring" });
    assertEquals(prom.code, 0, prom.stderr);
    for (const t of TASKS.map((t) => t.id).filter((id) => id !== "up")) {
      const r = await c.run([t, "--timeout", "60s"], { env });
      assertEquals(r.code, 0, `${t}: ${r.err}\n${r.out.slice(-2000)}`);
      assert(summary(r.events).ok, t);
    }
    assert(c.sim.get("apps/v1", "Deployment", "istio-system", "istiod"));
    assert(c.sim.get("apps/v1", "DaemonSet", "istio-system", "ztunnel"));
    assert(c.sim.get("monitoring.coreos.com/v1", "PodMonitor", "istio-system", "ztunnel"));
    assert(c.sim.get("gateway.networking.k8s.io/v1", "Gateway", "book-info", "waypoint"));
    assertEquals(
      c.sim.get("v1", "Namespace", undefined, "book-info")?.metadata.labels
        ?.["istio.io/use-waypoint"],
      "waypoint",
    );
    const up = await c.run(["up"], { env });
    assertEquals(up.code, 0, up.err);
    assertEquals(countCmd(up.spawned, "helm", "upgrade"), 0);
    assertEquals(countRan(up.events, "kubectl", "apply"), 0);
    assertEquals(
      done(up.events).filter((s) => !s.endsWith("/server") && !s.endsWith("/config")),
      [],
    );
    const o = outcomes(up.events);
    for (
      const id of [
        "istio:base",
        "istio:cni",
        "istio:istiod",
        "istio:ztunnel",
        "gateway",
        "telemetry",
        "bookinfo",
      ]
    ) {
      assertEquals(o[id], "unchanged", id);
    }
  });
});

Deno.test("up installs everything; a changed value re-applies that step and nothing else; down twice is clean", async () => {
  await withCluster(async (c) => {
    const first = await c.run(["up"]);
    assertEquals(first.code, 0, first.err);
    assertEquals(countCmd(first.spawned, "helm", "upgrade"), 6);
    const mesh = c.sim.get("v1", "ConfigMap", "istio-system", "istio");
    assertStringIncludes(
      String((mesh?.data as Record<string, string>)?.mesh),
      "tempo-distributor.tempo.svc.cluster.local",
    );
    const telemetry = c.sim.get(
      "telemetry.istio.io/v1",
      "Telemetry",
      "istio-system",
      "mesh-default",
    );
    assertEquals(
      (telemetry?.spec as { tracing: { randomSamplingPercentage: number }[] }).tracing[0]
        .randomSamplingPercentage,
      100,
    );
    // the bookinfo Gateway selects the pods of the installed gateway
    const pods = c.sim.list("v1", "Pod", "istio-ingress");
    const selector =
      (c.sim.get("networking.istio.io/v1", "Gateway", "book-info", "bookinfo-gateway")?.spec as {
        selector: Record<string, string>;
      }).selector;
    assert(
      pods.some((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v)),
      "selector matches no gateway pod",
    );

    const changed = await c.run(["up"], { env: { TELEMETRY_SAMPLING_PERCENT: "25" } });
    assertEquals(changed.code, 0, changed.err);
    assertEquals(done(changed.events).filter((s) => s !== "kiali/server"), ["telemetry/tracing"]);
    assertEquals(countCmd(changed.spawned, "helm", "upgrade"), 0);
    assertEquals(countRan(changed.events, "kubectl", "apply"), 1);

    const gw = await c.run(["up"], {
      env: { TELEMETRY_SAMPLING_PERCENT: "25", GATEWAY_LOADBALANCER_IP: "10.0.0.100" },
    });
    assertEquals(gw.code, 0, gw.err);
    assertEquals(done(gw.events).filter((s) => s !== "kiali/server"), ["gateway/release"]);
    assertEquals(countCmd(gw.spawned, "helm", "upgrade"), 1);

    const forced = await c.run(["istio:base", "--only", "--force"]);
    assertEquals(done(forced.events), ["istio:base/release"]);

    const down = await c.run(["down", "--yes"]);
    assertEquals(down.code, 0, down.err);
    assertEquals(countCmd(down.spawned, "helm", "uninstall"), 6);
    assertEquals(c.sim.get("v1", "Namespace", undefined, "book-info"), undefined);
    assertEquals(
      c.sim.list("v1", "Secret").filter((s) => s.metadata.labels?.owner === "helm").length,
      0,
    );
    const again = await c.run(["down", "--yes"]);
    assertEquals(again.code, 0, again.err);
    assertEquals(countCmd(again.spawned, "helm", "uninstall"), 0);
    assertEquals(countCmd(again.spawned, "kubectl", "delete"), 0);
  });
});

Deno.test("cilium --fix upgrades the Cilium release with reused values and restarts its agents", async () => {
  await withCluster(async (c) => {
    const seed = await c.installChart("cilium", { namespace: "kube-system" });
    assertEquals(seed.code, 0, seed.stderr);
    const check = await c.run(["cilium"]);
    assertEquals(check.code, 1);
    const failed = check.events.find((e) => e.type === "step-failed") as { error: string };
    assertStringIncludes(failed.error, 'bpf-lb-sock-hostns-only is "false" (want "true")');
    assertStringIncludes(failed.error, "--fix");
    const fix = await c.run(["cilium", "--fix"]);
    assertEquals(fix.code, 0, fix.err);
    const upgrade = fix.spawned.find((a) => a[0] === "helm" && a[1] === "upgrade")!;
    assert(upgrade.includes("--reuse-values"));
    assert(upgrade.includes("socketLB.hostNamespaceOnly=true"));
    assertEquals(
      (c.sim.get("v1", "ConfigMap", "kube-system", "cilium-config")?.data as Record<
        string,
        string
      >)["cni-exclusive"],
      "false",
    );
    assert(fix.spawned.some((a) => a.includes("rollout") && a.includes("restart")));
    const again = await c.run(["cilium"]);
    assertEquals(again.code, 0);
    assertEquals(countCmd(again.spawned, "helm", "upgrade"), 0);
  });
});

Deno.test("the probe policy is applied in auto mode only when a default-deny policy exists", async () => {
  await withCluster(async (c) => {
    const crds = await c.installChart("cilium", {
      namespace: "kube-system",
      set: { "socketLB.hostNamespaceOnly": "true", "cni.exclusive": "false" },
    });
    assertEquals(crds.code, 0, crds.stderr);
    const none = await c.run(["cilium"]);
    assertEquals(none.code, 0, none.err);
    assertEquals(
      c.sim.get(
        "cilium.io/v2",
        "CiliumClusterwideNetworkPolicy",
        undefined,
        "allow-ambient-hostprobes",
      ),
      undefined,
    );
    const deny = await c.tool([
      "kubectl",
      "apply",
      "-f",
      "tests/fixtures/cluster/default-deny.yaml",
    ]);
    assertEquals(deny.code, 0, deny.stderr);
    const some = await c.run(["cilium"]);
    assertEquals(some.code, 0, some.err);
    const policy = c.sim.get(
      "cilium.io/v2",
      "CiliumClusterwideNetworkPolicy",
      undefined,
      "allow-ambient-hostprobes",
    );
    assertEquals((policy?.spec as { enableDefaultDeny: unknown }).enableDefaultDeny, {
      ingress: false,
      egress: false,
    });
  });
});

Deno.test("down keeps CRDs unless --purge-crds, and removes ambient labels and waypoints first", async () => {
  await withCluster(async (c) => {
    const env = { BOOKINFO_FLAVOUR: "gateway-api", BOOKINFO_WAYPOINT: "true" };
    const up = await c.run(["bookinfo"], { env });
    assertEquals(up.code, 0, up.err);
    const crd = (): unknown =>
      c.sim.get(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        undefined,
        "gateways.gateway.networking.k8s.io",
      );
    assert(crd());
    const down = await c.run(["down", "bookinfo", "--yes"], { env });
    assertEquals(down.code, 0, down.err);
    const order = down.events.filter((e) => e.type === "step-done").map((e) =>
      `${(e as { task: string }).task}/${(e as { step: string }).step}`
    );
    assertEquals(order.slice(0, 3), [
      "bookinfo/use-waypoint",
      "bookinfo/waypoint",
      "bookinfo/route",
    ]);
    assert(crd(), "Gateway API CRDs must be kept");
    const purge = await c.run(["down", "gateway-api", "--only", "--yes", "--purge-crds"], { env });
    assertEquals(purge.code, 0, purge.err);
    assertEquals(crd(), undefined);
  });
});
