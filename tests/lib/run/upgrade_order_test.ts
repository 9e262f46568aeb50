import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../_assert.ts";
import { InputError } from "../../../lib/errors.ts";
import type { ReleaseState } from "../../../lib/kube/kube.ts";
import type { HelmReleaseStep, Plan, PlannedTask, Step } from "../../../lib/plan/plan.ts";
import { forcedTasks } from "../../../lib/run/force_scope.ts";
import { nodeRollout } from "../../../lib/run/node_rollout.ts";
import { chartOf, releaseChange, releaseChangeText } from "../../../lib/run/release_change.ts";
import { upgradeOrder } from "../../../lib/run/upgrade_order.ts";

const REPO = "http://127.0.0.1:9/charts";

function release(chart: string, name: string, version: string, namespace = "istio-system") {
  const step: HelmReleaseStep = {
    kind: "helm-release",
    id: "release",
    description: `helm release ${name}`,
    release: name,
    namespace,
    createNamespace: true,
    chart: { type: "repo", repo: REPO, chart, version },
    values: [],
    workloads: [],
  };
  return step;
}

const APPLY: Step = {
  kind: "apply",
  id: "crds",
  description: "",
  manifests: [],
  remote: [],
  objects: [],
  crds: true,
};

/** The real graph's shape, every Istio chart at `version`. */
function meshPlan(version: string, target = "up"): Plan {
  const t = (id: string, deps: string[], steps: Step[]): PlannedTask => ({
    id,
    description: id,
    deps,
    steps,
    ...(steps.length === 0 && id !== "kiali" ? { aggregate: true } : {}),
  });
  return {
    target,
    tasks: [
      t("gateway-api", [], [APPLY]),
      t("istio:base", [], [release("base", "istio-base", version)]),
      t("istio:cni", ["istio:base"], [release("cni", "istio-cni", version)]),
      t("istio:istiod", ["istio:base"], [release("istiod", "istiod", version)]),
      t("istio:ztunnel", ["istio:cni", "istio:istiod"], [release("ztunnel", "ztunnel", version)]),
      t("istio:install", ["istio:base", "istio:cni", "istio:istiod", "istio:ztunnel"], []),
      t("gateway", ["istio:istiod"], [
        release("gateway", "istio-gateway", version, "istio-ingress"),
      ]),
      t("telemetry", ["istio:istiod"], [APPLY]),
      // Kiali turned off: no steps, but no aggregate either
      t("kiali", ["istio:istiod"], []),
      t("bookinfo", ["istio:install", "gateway", "gateway-api"], [APPLY]),
      t("up", ["gateway-api", "istio:install", "gateway", "telemetry", "kiali", "bookinfo"], []),
    ],
  };
}

function installed(version: string, ztunnel = version): Map<string, ReleaseState> {
  const rel = (chart: string, name: string, v: string, namespace = "istio-system") =>
    [`${namespace}/${name}`, {
      name,
      namespace,
      revision: 1,
      status: "deployed",
      chart,
      chartVersion: v,
    }] as const;
  return new Map([
    rel("base", "istio-base", version),
    rel("cni", "istio-cni", version),
    rel("istiod", "istiod", version),
    rel("ztunnel", "ztunnel", ztunnel),
    rel("gateway", "istio-gateway", version, "istio-ingress"),
    rel("kiali-operator", "kiali-operator", "2.32.0", "kiali-operator"),
  ]);
}

Deno.test("upgradeOrder() adds no edge to a fresh install: istio:cni and istio:istiod stay side by side", () => {
  const order = upgradeOrder(meshPlan("1.30.3"), new Map());
  assertEquals(order.change, "install");
  assertEquals(order.extraDeps.size, 0);
  assertEquals(order.upgrades, []);
});

Deno.test("upgradeOrder() adds no edge when every release is at the configured version", () => {
  const order = upgradeOrder(meshPlan("1.30.3"), installed("1.30.3"));
  assertEquals(order.change, "none");
  assertEquals(order.extraDeps.size, 0);
});

Deno.test("upgradeOrder() chains a patch upgrade in Istio's order and lists each release's versions", () => {
  const order = upgradeOrder(meshPlan("1.30.3"), installed("1.30.2"));
  assertEquals(order.change, "patch");
  assertEquals(order.sequence, [
    "gateway-api",
    "istio:base",
    "istio:istiod",
    "istio:cni",
    "istio:ztunnel",
    "gateway",
    "bookinfo",
  ]);
  // only the edges the graph lacks: base after the Gateway API CRDs, cni after istiod, the
  // gateway after ztunnel
  assertEquals(Object.fromEntries(order.extraDeps), {
    "istio:base": ["gateway-api"],
    "istio:cni": ["istio:istiod"],
    "gateway": ["istio:ztunnel"],
  });
  assertEquals(order.upgrades.map((u) => `${u.release} ${u.from} → ${u.to}`), [
    "istio-system/istio-base 1.30.2 → 1.30.3",
    "istio-system/istio-cni 1.30.2 → 1.30.3",
    "istio-system/istiod 1.30.2 → 1.30.3",
    "istio-system/ztunnel 1.30.2 → 1.30.3",
    "istio-ingress/istio-gateway 1.30.2 → 1.30.3",
  ]);
});

Deno.test("upgradeOrder() refuses a skipped minor with the versions to go through", () => {
  const e = assertThrows(() => upgradeOrder(meshPlan("1.30.3"), installed("1.28.1")), InputError);
  assertStringIncludes(e.message, 'Cannot upgrade Istio to "1.30.3" in place');
  assertStringIncludes(e.message, "2 minors behind");
  assertStringIncludes(e.hint ?? "", "first 1.29.x, then 1.30.3");
});

Deno.test("upgradeOrder() refuses a downgrade across minors and a data plane left two minors behind", () => {
  const down = assertThrows(
    () => upgradeOrder(meshPlan("1.29.4"), installed("1.30.3")),
    InputError,
  );
  assertStringIncludes(down.message, "downgrade across minors");
  // --only istio:istiod: ztunnel is not in the plan but is still read
  const only: Plan = {
    target: "istio:istiod",
    tasks: meshPlan("1.31.0").tasks.filter((t) => t.id === "istio:istiod"),
  };
  const skew = assertThrows(() => upgradeOrder(only, installed("1.30.3", "1.29.5")), InputError);
  assertStringIncludes(skew.message, "ztunnel 1.29.5");
});

Deno.test("upgradeOrder() ignores a plan without Istio charts", () => {
  const plan: Plan = { target: "telemetry", tasks: [meshPlan("1.30.3").tasks[7]] };
  assertEquals(upgradeOrder(plan, installed("1.28.1")).extraDeps.size, 0);
});

Deno.test("releaseChange() tells an install, an upgrade and an update apart", () => {
  const step = release("istiod", "istiod", "1.30.4");
  assertEquals(releaseChange(undefined, step), { kind: "install", to: "1.30.4" });
  assertEquals(releaseChange("1.30.3", step), { kind: "upgrade", from: "1.30.3", to: "1.30.4" });
  assertEquals(releaseChange("1.30.4", step), { kind: "update", from: "1.30.4", to: "1.30.4" });
  assertEquals(
    releaseChangeText(releaseChange("1.30.3", step), "istiod"),
    "upgrade istiod 1.30.3 → 1.30.4",
  );
  // a chart folder names no version: an update of what is there
  const dir = { ...step, chart: { type: "dir" as const, path: "charts/istiod/", digest: "x" } };
  assertEquals(releaseChange("1.30.3", dir), { kind: "update", from: "1.30.3", to: "1.30.3" });
  assertEquals(chartOf(dir), { name: "istiod" });
});

Deno.test("chartOf() reads a package's name and version from its file name", () => {
  const step = release("x", "kiali-operator", "0");
  const tgz = { type: "tgz" as const, path: "/tmp/c/kiali-operator-2.32.0.tgz", digest: "d" };
  assertEquals(chartOf({ ...step, chart: tgz }), { name: "kiali-operator", version: "2.32.0" });
  const oci = { type: "oci" as const, ref: "oci://r.example/istio/ztunnel", version: "1.30.3" };
  assertEquals(chartOf({ ...step, chart: oci }), { name: "ztunnel", version: "1.30.3" });
  const odd = { type: "tgz" as const, path: "/tmp/c/mine.tgz", digest: "d" };
  assertEquals(chartOf({ ...step, chart: odd }), {});
});

Deno.test("forcedTasks() narrows --force to the target, or an aggregate's members", () => {
  assertEquals([...forcedTasks(meshPlan("1.30.3", "telemetry"))], ["telemetry"]);
  assertEquals([...forcedTasks(meshPlan("1.30.3", "istio:install"))].sort(), [
    "istio:base",
    "istio:cni",
    "istio:install",
    "istio:istiod",
    "istio:ztunnel",
  ]);
  const up = forcedTasks(meshPlan("1.30.3", "up"));
  assertEquals(up.size, meshPlan("1.30.3").tasks.length);
  // a task off for this config forces nothing, its deps least of all
  assertEquals([...forcedTasks(meshPlan("1.30.3", "kiali"))], ["kiali"]);
});

Deno.test("nodeRollout() says per node whether its pod is at the DaemonSet's generation and ready", () => {
  const ds = { metadata: { name: "ztunnel", generation: 2 } };
  const pod = (name: string, node: string, gen: number, ready: boolean, deleting = false) => ({
    metadata: {
      name,
      labels: { "pod-template-generation": String(gen) },
      ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: { nodeName: node },
    status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
  const nodes = nodeRollout(ds, [
    pod("ztunnel-a", "node-a", 2, true),
    pod("ztunnel-b", "node-b", 2, false),
    pod("ztunnel-c", "node-c", 1, true),
    pod("ztunnel-d", "node-d", 1, true, true),
  ]);
  assertEquals(nodes.map((n) => [n.node, n.updated, n.detail]), [
    ["node-a", true, "pod ztunnel-a updated and ready"],
    ["node-b", false, "new pod ztunnel-b starting"],
    ["node-c", false, "old pod ztunnel-c still running"],
    ["node-d", false, "old pod ztunnel-d terminating"],
  ]);
  assert(nodeRollout({ metadata: { generation: 1 } }, []).length === 0);
});
