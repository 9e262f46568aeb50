/**
 * Day 2 against the simulator with the real kubectl and helm: drift is seen
 * and taken back (and what the cluster's controllers rewrite is not drift);
 * what an earlier plan applied and the new one does not is pruned, in a
 * safe order, and only when meshup made it.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";

type Summary = Extract<RunEvent, { type: "summary" }>;
type StepDone = Extract<RunEvent, { type: "step-done" }>;
const summary = (events: RunEvent[]): Summary =>
  events.find((e) => e.type === "summary") as Summary;
const cmds = (events: RunEvent[]): string[][] =>
  events.flatMap((e) => e.type === "cmd" ? [e.argv] : []);
const doneSteps = (events: RunEvent[]): StepDone[] =>
  events.filter((e): e is StepDone => e.type === "step-done");

async function ok(c: Cluster, args: string[], env: Record<string, string> = {}) {
  const r = await c.run([...args, "--timeout", "60s"], { env });
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.err}\n${r.out.slice(-3000)}`);
  return r;
}

async function kubectl(c: Cluster, ...args: string[]): Promise<string> {
  const r = await c.tool(["kubectl", ...args]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("a Telemetry hand-edited to 5 % sampling is taken back by telemetry, which names the drifted field", async () => {
  await withCluster(async (c) => {
    await ok(c, ["telemetry"]);
    const sampling = (): unknown =>
      (c.sim.get("telemetry.istio.io/v1", "Telemetry", "istio-system", "mesh-default")?.spec as {
        tracing: { randomSamplingPercentage: number }[];
      }).tracing[0].randomSamplingPercentage;
    assertEquals(sampling(), 100);
    // a hand edit by another field manager, as `kubectl edit` would make it
    const live = JSON.parse(
      await kubectl(
        c,
        "get",
        "telemetry.telemetry.istio.io",
        "mesh-default",
        "-n",
        "istio-system",
        "-o",
        "json",
      ),
    );
    const tracing = live.spec.tracing.map((t: Record<string, unknown>) => ({
      ...t,
      randomSamplingPercentage: 5,
    }));
    await kubectl(
      c,
      "patch",
      "telemetry.telemetry.istio.io",
      "mesh-default",
      "-n",
      "istio-system",
      "--type=merge",
      "--field-manager=hand-edit",
      "-p",
      JSON.stringify({ spec: { tracing } }),
    );
    assertEquals(sampling(), 5);

    const r = await ok(c, ["telemetry", "--only"]);
    const corrected = doneSteps(r.events).filter((e) => e.action === "corrected");
    assertEquals(corrected.map((e) => [e.task, e.step, e.fields]), [
      ["telemetry", "tracing", ["spec.tracing"]],
    ]);
    assertEquals(corrected[0].objects, ["telemetry.istio.io/Telemetry/istio-system/mesh-default"]);
    assertEquals(sampling(), 100);
    const task = summary(r.events).tasks.find((t) => t.id === "telemetry");
    assertEquals(task?.outcome, "done");
    assertStringIncludes(task?.reason ?? "", "drift corrected: spec.tracing");

    // taken back, it is no longer drift: the next run changes nothing and starts nothing
    const again = await ok(c, ["telemetry", "--only"]);
    assertEquals(doneSteps(again.events).map((e) => e.action), []);
    assertEquals(again.spawned, []);
    assertEquals(
      summary(again.events).tasks.find((t) => t.id === "telemetry")?.outcome,
      "unchanged",
    );
  });
});

const ISTIO_GATEWAY = [
  "networking.istio.io/v1",
  "Gateway",
  "book-info",
  "bookinfo-gateway",
] as const;
const VIRTUAL_SERVICE = [
  "networking.istio.io/v1",
  "VirtualService",
  "book-info",
  "bookinfo",
] as const;
const API_GATEWAY = [
  "gateway.networking.k8s.io/v1",
  "Gateway",
  "book-info",
  "bookinfo-gateway",
] as const;
const WAYPOINT = ["gateway.networking.k8s.io/v1", "Gateway", "book-info", "waypoint"] as const;

function pruned(events: RunEvent[], task: string): string[] {
  return doneSteps(events).filter((e) => e.task === task && e.action === "pruned")
    .flatMap((e) => e.objects ?? []);
}

Deno.test("switching bookinfo from the istio-api to the gateway-api flavour leaves no Gateway or VirtualService behind", async () => {
  await withCluster(async (c) => {
    await ok(c, ["bookinfo"], { BOOKINFO_FLAVOUR: "istio-api" });
    assert(c.sim.get(...ISTIO_GATEWAY));
    assert(c.sim.get(...VIRTUAL_SERVICE));

    // with its deps: the gateway-api flavour needs the Gateway API CRDs installed
    const r = await ok(c, ["bookinfo"], { BOOKINFO_FLAVOUR: "gateway-api" });
    assert(c.sim.get(...API_GATEWAY), "the new Gateway is there");
    assertEquals(c.sim.get(...ISTIO_GATEWAY), undefined);
    assertEquals(c.sim.get(...VIRTUAL_SERVICE), undefined);
    assertEquals(pruned(r.events, "bookinfo").sort(), [
      "networking.istio.io/Gateway/book-info/bookinfo-gateway",
      "networking.istio.io/VirtualService/book-info/bookinfo",
    ]);
    // pruned after the new objects were applied
    const order = r.events.filter((e) => e.type === "step-done" && e.task === "bookinfo")
      .map((e) => (e as StepDone).step);
    assertEquals(order.at(-1), "prune");

    // the new inventory is recorded: the next run has nothing to prune and starts nothing
    const again = await ok(c, ["bookinfo"], { BOOKINFO_FLAVOUR: "gateway-api" });
    assertEquals(pruned(again.events, "bookinfo"), []);
    assertEquals(again.spawned, []);
  });
});

Deno.test("turning Kiali off removes the Kiali CR, awaited through its finaliser, then the operator's release", async () => {
  await withCluster(async (c) => {
    await ok(c, ["kiali"]);
    assert(c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali"));

    const r = await ok(c, ["kiali", "--only"], { KIALI_ENABLED: "false" });
    assertEquals(c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali"), undefined);
    assertEquals(c.sim.get("apps/v1", "Deployment", "kiali", "kiali-operator"), undefined);
    assertEquals(pruned(r.events, "kiali"), [
      "kiali.io/Kiali/kiali/kiali",
      "helm.sh/Release/kiali/kiali-operator",
    ]);
    // the CR goes (kubectl waits until it is gone) before helm uninstalls its operator
    const argv = r.events.flatMap((e) => e.type === "cmd" ? [e.argv.slice(0, 2).join(" ")] : [])
      .filter((a) => a === "kubectl delete" || a === "helm uninstall");
    assertEquals(argv, ["kubectl delete", "helm uninstall"]);
    const deleteCmd = r.events.find((e) => e.type === "cmd" && e.argv[1] === "delete");
    assert(deleteCmd?.type === "cmd" && deleteCmd.argv.includes("--wait=true"));
    assertEquals(summary(r.events).tasks.find((t) => t.id === "kiali")?.outcome, "done");
    // the CRD stays: pruning never removes one
    assert(
      c.sim.get(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        undefined,
        "kialis.kiali.io",
      ),
    );
  });
});

Deno.test("turning the waypoint off removes the use-waypoint label, then the waypoint", async () => {
  await withCluster(async (c) => {
    await ok(c, ["bookinfo"], { BOOKINFO_WAYPOINT: "true" });
    const useWaypoint = (): string | undefined =>
      c.sim.get("v1", "Namespace", undefined, "book-info")?.metadata.labels
        ?.["istio.io/use-waypoint"];
    assertEquals(useWaypoint(), "waypoint");
    assert(c.sim.get(...WAYPOINT));

    const r = await ok(c, ["bookinfo", "--only"], { BOOKINFO_WAYPOINT: "false" });
    assertEquals(useWaypoint(), undefined);
    assertEquals(c.sim.get(...WAYPOINT), undefined);
    assertEquals(pruned(r.events, "bookinfo"), [
      "core/Namespace/book-info label istio.io/use-waypoint",
      "gateway.networking.k8s.io/Gateway/book-info/waypoint",
    ]);
    // (the preflight's `helm version` aside)
    const argv = r.events.flatMap((e) =>
      e.type === "cmd" && e.argv[0] === "kubectl" ? [e.argv.slice(0, 2).join(" ")] : []
    );
    assertEquals(argv, ["kubectl label", "kubectl delete"]);
    // the namespace the label was on stays
    assert(c.sim.get("v1", "Namespace", undefined, "book-info"));
  });
});

Deno.test("an object meshup did not create is never pruned, though an earlier inventory names it", async () => {
  await withCluster(async (c) => {
    await ok(c, ["bookinfo"], { BOOKINFO_WAYPOINT: "true" });
    // someone replaces meshup's waypoint with their own, under the same name
    await kubectl(c, "delete", "gateway.gateway.networking.k8s.io", "waypoint", "-n", "book-info");
    const own = await c.tool(
      ["kubectl", "create", "--field-manager=someone", "-f", "-"],
      JSON.stringify({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "waypoint", namespace: "book-info" },
        spec: {
          gatewayClassName: "istio-waypoint",
          listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
        },
      }),
    );
    assertEquals(own.code, 0, own.stderr);

    const r = await ok(c, ["bookinfo", "--only"], { BOOKINFO_WAYPOINT: "false" });
    assert(c.sim.get(...WAYPOINT), "their waypoint is still there");
    assertEquals(pruned(r.events, "bookinfo"), [
      "core/Namespace/book-info label istio.io/use-waypoint",
    ]);
  });
});

Deno.test("istiod rewriting its webhook's caBundle and failurePolicy is not drift; a hand edit of its mesh config is, and helm takes it back", async () => {
  await withCluster(async (c) => {
    await ok(c, ["istio:istiod"]);
    const webhook = [
      "admissionregistration.k8s.io/v1",
      "ValidatingWebhookConfiguration",
      undefined,
      "istio-validator-istio-system",
    ] as const;
    assert(c.sim.get(...webhook), "the stand-in chart has istiod's webhook");
    // what istiod does once it runs, as its own field manager
    await kubectl(
      c,
      "patch",
      "validatingwebhookconfiguration",
      "istio-validator-istio-system",
      "--type=json",
      "--field-manager=istiod",
      "-p",
      JSON.stringify([
        { op: "add", path: "/webhooks/0/clientConfig/caBundle", value: btoa("istiod's CA") },
        { op: "replace", path: "/webhooks/0/failurePolicy", value: "Fail" },
      ]),
    );
    const quiet = await ok(c, ["istio:istiod", "--only"]);
    assertEquals(doneSteps(quiet.events).map((e) => [e.action, e.fields, e.objects]), []);
    assertEquals(quiet.spawned, []);
    const hook = c.sim.get(...webhook) as unknown as { webhooks: { failurePolicy: string }[] };
    assertEquals(hook.webhooks[0].failurePolicy, "Fail", "istiod's value is left alone");

    // a field of the release's manifest changed by hand is drift
    await kubectl(
      c,
      "patch",
      "configmap",
      "istio",
      "-n",
      "istio-system",
      "--type=merge",
      "--field-manager=hand-edit",
      "-p",
      JSON.stringify({ data: { profile: "default" } }),
    );
    const r = await ok(c, ["istio:istiod", "--only"]);
    const corrected = doneSteps(r.events).filter((e) => e.action === "corrected");
    assertEquals(corrected.map((e) => [e.step, e.fields, e.objects]), [
      ["release", ["data.profile"], ["core/ConfigMap/istio-system/istio"]],
    ]);
    assertEquals(
      (c.sim.get("v1", "ConfigMap", "istio-system", "istio")?.data as Record<string, string>)
        .profile,
      "ambient",
    );
    const upgrade = cmds(r.events).find((a) => a[0] === "helm" && a[1] === "upgrade");
    assert(upgrade?.includes("--force-conflicts"), String(upgrade));
    assertStringIncludes(
      summary(r.events).tasks.find((t) => t.id === "istio:istiod")?.reason ?? "",
      "drift corrected: data.profile",
    );
  });
});
