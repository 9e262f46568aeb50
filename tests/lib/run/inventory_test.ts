import { assertEquals } from "../../_assert.ts";
import {
  type Inventory,
  inventoryConfigMap,
  inventoryName,
  parseInventory,
  planInventory,
  pruneCandidates,
  sameInventory,
} from "../../../lib/run/inventory.ts";
import { madeByMeshup } from "../../../lib/run/prune.ts";
import type { PlannedTask } from "../../../lib/plan/plan.ts";

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, step = "s") => ({
  apiVersion,
  kind,
  name,
  ...(namespace ? { namespace } : {}),
  step,
});

const istioApi: Inventory = {
  task: "bookinfo",
  objects: [
    obj("v1", "Namespace", "book-info", undefined, "namespace"),
    obj("networking.istio.io/v1", "Gateway", "bookinfo-gateway", "book-info", "route"),
    obj("networking.istio.io/v1", "VirtualService", "bookinfo", "book-info", "route"),
    obj("gateway.networking.k8s.io/v1", "Gateway", "waypoint", "book-info", "waypoint"),
  ],
  labels: [
    {
      target: { apiVersion: "v1", kind: "Namespace", name: "book-info" },
      key: "istio.io/use-waypoint",
      value: "waypoint",
      step: "use-waypoint",
    },
  ],
  releases: [],
};

Deno.test("pruneCandidates() names an object by its API group: a Gateway of the other group is pruned", () => {
  const gatewayApi: Inventory = {
    ...istioApi,
    objects: [
      obj("v1", "Namespace", "book-info", undefined, "namespace"),
      obj("gateway.networking.k8s.io/v1", "Gateway", "bookinfo-gateway", "book-info", "route"),
      obj("gateway.networking.k8s.io/v1", "HTTPRoute", "bookinfo", "book-info", "route"),
      obj("gateway.networking.k8s.io/v1", "Gateway", "waypoint", "book-info", "waypoint"),
    ],
  };
  const c = pruneCandidates(istioApi, gatewayApi);
  assertEquals(c.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.name}`), [
    "networking.istio.io/v1 Gateway bookinfo-gateway",
    "networking.istio.io/v1 VirtualService bookinfo",
  ]);
  assertEquals(c.labels, []);
  assertEquals(c.releases, []);
});

Deno.test("pruneCandidates() of a component turned off lists its label, objects and releases", () => {
  const off: Inventory = {
    task: "bookinfo",
    objects: [obj("v1", "Namespace", "book-info", undefined, "namespace")],
    labels: [],
    releases: [],
  };
  const c = pruneCandidates(istioApi, off);
  assertEquals(c.labels.map((l) => l.key), ["istio.io/use-waypoint"]);
  assertEquals(c.objects.map((o) => o.name), ["bookinfo-gateway", "bookinfo", "waypoint"]);

  const kiali: Inventory = {
    task: "kiali",
    objects: [obj("kiali.io/v1alpha1", "Kiali", "kiali", "kiali", "cr")],
    labels: [],
    releases: [{ namespace: "kiali", name: "kiali-operator", step: "operator" }],
  };
  const gone = pruneCandidates(kiali, { task: "kiali", objects: [], labels: [], releases: [] });
  assertEquals(gone.objects.map((o) => o.kind), ["Kiali"]);
  assertEquals(gone.releases.map((r) => r.name), ["kiali-operator"]);
});

Deno.test("pruneCandidates() never lists a CRD or a Namespace", () => {
  const last: Inventory = {
    task: "gateway-api",
    objects: [
      obj(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "gateways.gateway.networking.k8s.io",
      ),
      obj("v1", "Namespace", "book-info"),
    ],
    labels: [],
    releases: [],
  };
  const c = pruneCandidates(last, { task: "gateway-api", objects: [], labels: [], releases: [] });
  assertEquals(c.objects, []);
});

Deno.test("pruneCandidates() keeps a label the plan still sets and one it sets to another value is not pruned", () => {
  const c = pruneCandidates(istioApi, istioApi);
  assertEquals(c.objects, []);
  assertEquals(c.labels, []);
  // the label step sets it to another value: that step overwrites it, nothing to remove
  const other = { ...istioApi, labels: [{ ...istioApi.labels[0], value: "other-waypoint" }] };
  assertEquals(pruneCandidates(istioApi, other).labels, []);
});

Deno.test("an inventory goes through its ConfigMap unchanged, named after its task", () => {
  assertEquals(inventoryName("istio:istiod"), "meshup-inventory-istio-istiod");
  const cm = inventoryConfigMap(istioApi);
  assertEquals((cm.metadata as { namespace: string }).namespace, "kube-system");
  const back = parseInventory(JSON.parse(JSON.stringify(cm)));
  assertEquals(back, istioApi);
  assertEquals(sameInventory(back, istioApi), true);
  assertEquals(sameInventory(undefined, istioApi), false);
  assertEquals(parseInventory({ data: { inventory: "not json" } }), undefined);
});

Deno.test("planInventory() records apply objects, labels set (not removed) and releases, by step", () => {
  const task: PlannedTask = {
    id: "bookinfo",
    description: "",
    deps: [],
    steps: [
      {
        kind: "apply",
        id: "route",
        description: "",
        manifests: [{
          source: "manifests/x.yaml",
          content:
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: book-info\n",
        }],
        remote: [],
        objects: [{
          apiVersion: "networking.istio.io/v1",
          kind: "Gateway",
          name: "g",
          namespace: "book-info",
        }],
        crds: false,
      },
      {
        kind: "label",
        id: "ambient",
        description: "",
        target: { apiVersion: "v1", kind: "Namespace", name: "book-info" },
        labels: { "istio.io/dataplane-mode": "ambient", "old": null },
      },
      {
        kind: "helm-release",
        id: "operator",
        description: "",
        release: "kiali-operator",
        namespace: "kiali",
        createNamespace: true,
        chart: { type: "dir", path: "x", digest: "d" },
        values: [],
        workloads: [],
      },
    ],
  };
  const inv = planInventory(task, { remote: new Map(), secrets: new Map() });
  assertEquals(inv.objects, [obj("networking.istio.io/v1", "Gateway", "g", "book-info", "route")]);
  assertEquals(inv.labels.map((l) => [l.key, l.value, l.step]), [[
    "istio.io/dataplane-mode",
    "ambient",
    "ambient",
  ]]);
  assertEquals(inv.releases, [{ namespace: "kiali", name: "kiali-operator", step: "operator" }]);
});

Deno.test("madeByMeshup() wants both meshup's fingerprint annotation and its field manager", () => {
  const meta = (annotations: Record<string, string>, manager: string) => ({
    metadata: { annotations, managedFields: [{ manager, operation: "Apply" }] },
  });
  assertEquals(madeByMeshup(meta({ "meshup.dev/fingerprint": "abc" }, "meshup")), true);
  assertEquals(madeByMeshup(meta({ "meshup.dev/fingerprint": "abc" }, "kubectl-create")), false);
  assertEquals(madeByMeshup(meta({}, "meshup")), false);
  assertEquals(madeByMeshup({ metadata: {} }), false);
});
