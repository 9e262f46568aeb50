/**
 * The stand-in charts and manifests under tests/fixtures/ render, with the
 * real helm and meshup's own values files, into the object names, labels
 * and ports that meshup relies on (ERRATA 2, 5, 6, 11).
 */
import { parse, parseAllDocuments } from "yaml";
import { assert, assertEquals } from "./_assert.ts";
import { resolveChart } from "../lib/config/sources.ts";
import {
  CHARTS,
  crd,
  find,
  GATEWAY_SETS,
  helm,
  kinds,
  type Obj,
  type Rendered,
  REPO,
  template,
  values,
  versions,
} from "./_charts.ts";

Deno.test("the kiali-operator chart ships CRD kialis.kiali.io and no Kiali CR by default", async () => {
  const r = await template("kiali-operator", {
    release: "kiali-operator",
    namespace: "kiali",
    args: [...values("kiali-operator"), "--include-crds"],
  });
  assertEquals(kinds(r), [
    "CustomResourceDefinition/kialis.kiali.io",
    "Deployment/kiali-operator",
  ]);
  const c = crd(r, "kialis.kiali.io");
  assertEquals(c.spec.group, "kiali.io");
  assertEquals(c.spec.names.kind, "Kiali");
  assertEquals(c.spec.scope, "Namespaced");
  assertEquals(versions(c), ["v1alpha1+served+storage"]);
  assertEquals(c.spec.versions[0].subresources, { status: {} });
  assertEquals(find(r, "Deployment", "kiali-operator").metadata.namespace, "kiali");

  const without = await template("kiali-operator", {
    release: "kiali-operator",
    namespace: "kiali",
    args: values("kiali-operator"),
  });
  assertEquals(kinds(without), ["Deployment/kiali-operator"]);
});

Deno.test("the kiali-operator chart renders a Kiali CR only when cr.create is true", async () => {
  const r = await template("kiali-operator", {
    release: "kiali-operator",
    namespace: "kiali",
    args: ["--set", "cr.create=true"],
  });
  const cr = find(r, "Kiali", "kiali");
  assertEquals(cr.apiVersion, "kiali.io/v1alpha1");
  assertEquals(cr.metadata.namespace, "kiali");
});

Deno.test("the cilium chart's cilium-config flips with socketLB.hostNamespaceOnly and cni.exclusive", async () => {
  const before = await template("cilium", { release: "cilium", namespace: "kube-system" });
  assertEquals(kinds(before), [
    "ConfigMap/cilium-config",
    "CustomResourceDefinition/ciliumclusterwidenetworkpolicies.cilium.io",
    "CustomResourceDefinition/ciliumnetworkpolicies.cilium.io",
    "DaemonSet/cilium",
  ]);
  const cm = find(before, "ConfigMap", "cilium-config");
  assertEquals(cm.metadata.namespace, "kube-system");
  assertEquals(cm.data["bpf-lb-sock-hostns-only"], "false");
  assertEquals(cm.data["cni-exclusive"], "true");
  assertEquals(crd(before, "ciliumclusterwidenetworkpolicies.cilium.io").spec.scope, "Cluster");
  assertEquals(crd(before, "ciliumnetworkpolicies.cilium.io").spec.scope, "Namespaced");
  for (const name of ["ciliumclusterwidenetworkpolicies", "ciliumnetworkpolicies"]) {
    assertEquals(versions(crd(before, `${name}.cilium.io`)), ["v2+served+storage"]);
  }

  const after = await template("cilium", {
    release: "cilium",
    namespace: "kube-system",
    args: ["--set", "socketLB.hostNamespaceOnly=true", "--set", "cni.exclusive=false"],
  });
  const fixed = find(after, "ConfigMap", "cilium-config");
  assertEquals(fixed.data["bpf-lb-sock-hostns-only"], "true");
  assertEquals(fixed.data["cni-exclusive"], "false");
});

Deno.test("the prometheus-operator-crds chart renders the ServiceMonitor and PodMonitor CRDs", async () => {
  const r = await template("prometheus-operator-crds", {
    release: "prometheus-operator-crds",
    namespace: "monitoring",
  });
  assertEquals(kinds(r), [
    "CustomResourceDefinition/podmonitors.monitoring.coreos.com",
    "CustomResourceDefinition/servicemonitors.monitoring.coreos.com",
  ]);
  for (
    const [name, kind] of [["servicemonitors", "ServiceMonitor"], ["podmonitors", "PodMonitor"]]
  ) {
    const c = crd(r, `${name}.monitoring.coreos.com`);
    assertEquals(c.spec.names.kind, kind);
    assertEquals(c.spec.scope, "Namespaced");
    assertEquals(versions(c), ["v1+served+storage"]);
  }
});

Deno.test("every workload selects its own pod labels and runs only fake images", async () => {
  const charts: [string, string[]][] = [
    ["cni", values("istio-cni")],
    ["istiod", values("istiod")],
    ["ztunnel", values("ztunnel")],
    ["gateway", [...values("gateway"), ...GATEWAY_SETS]],
    ["kiali-operator", values("kiali-operator")],
    ["cilium", []],
  ];
  let workloads = 0;
  for (const [chart, args] of charts) {
    const r = await template(chart, { release: chart, namespace: "test", args });
    for (const o of r.objects) {
      if (o.kind !== "Deployment" && o.kind !== "DaemonSet") continue;
      workloads++;
      const where = `${chart}: ${o.kind}/${o.metadata.name}`;
      const match: Record<string, string> = o.spec.selector.matchLabels;
      const labels: Record<string, string> = o.spec.template.metadata.labels;
      assert(Object.keys(match).length > 0, `${where} has an empty selector`);
      for (const [k, v] of Object.entries(match)) assertEquals(labels[k], v, `${where} label ${k}`);
      for (const c of o.spec.template.spec.containers) {
        assert(typeof c.name === "string" && c.name !== "", `${where}: container without name`);
        assert(/^example\.invalid\//.test(c.image), `${where}: image ${c.image} is not fake`);
      }
    }
  }
  assertEquals(workloads, 6);
});

Deno.test("the charts carry the versions meshup asks for by default and repackage to others", async () => {
  const example = parse(await Deno.readTextFile(`${REPO}/cluster.example.yaml`));
  const want: Record<string, string> = {
    base: example.istio.version,
    cni: example.istio.version,
    istiod: example.istio.version,
    ztunnel: example.istio.version,
    gateway: example.istio.version,
    "kiali-operator": example.kiali.version,
  };
  for (const [chart, version] of Object.entries(want)) {
    const meta = parse(await Deno.readTextFile(`${CHARTS}/${chart}/Chart.yaml`));
    assertEquals([meta.apiVersion, meta.name, meta.version], ["v2", chart, version], chart);
  }
  for (const chart of ["cilium", "prometheus-operator-crds"]) {
    const meta = parse(await Deno.readTextFile(`${CHARTS}/${chart}/Chart.yaml`));
    assertEquals([meta.apiVersion, meta.name], ["v2", chart]);
  }

  const dir = await Deno.makeTempDir({ prefix: "fixtures-package-" });
  try {
    await helm(["package", `${CHARTS}/istiod`, "--version", "1.29.2", "--destination", dir]);
    const tgz = `${dir}/istiod-1.29.2.tgz`;
    assert((await Deno.stat(tgz)).isFile);
    const shown = parse(await helm(["show", "chart", tgz]));
    assertEquals([shown.name, shown.version], ["istiod", "1.29.2"]);
    assertEquals(
      resolveChart(dir, { name: "istiod", version: "1.29.2" }, {
        cwd: REPO,
        field: "istio.charts",
      }).type,
      "tgz",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const chart of ["base", "cni", "istiod", "ztunnel", "gateway"]) {
    const source = resolveChart("tests/fixtures/charts", { name: chart, version: "1.30.3" }, {
      cwd: REPO,
      field: "istio.charts",
    });
    assertEquals(source.type === "dir" && source.path, `tests/fixtures/charts/${chart}`);
  }
});

Deno.test("every chart template with helm actions is shielded from deno fmt", async () => {
  let checked = 0;
  for await (const chart of Deno.readDir(CHARTS)) {
    if (!chart.isDirectory) continue;
    for await (const file of Deno.readDir(`${CHARTS}/${chart.name}/templates`)) {
      if (!file.name.endsWith(".yaml")) continue;
      const text = await Deno.readTextFile(`${CHARTS}/${chart.name}/templates/${file.name}`);
      if (!text.includes("{{")) continue;
      checked++;
      assert(
        text.startsWith("# deno-fmt-ignore-file\n"),
        `${chart.name}/templates/${file.name} must start with "# deno-fmt-ignore-file"`,
      );
    }
  }
  assert(checked > 0);
});

Deno.test("the gateway-api stand-in holds three v1 CRDs of bundle v1.5.1", async () => {
  const text = await Deno.readTextFile(`${REPO}/tests/fixtures/gateway-api/standard-install.yaml`);
  const r: Rendered = {
    text,
    objects: parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o),
  };
  assertEquals(kinds(r), [
    "CustomResourceDefinition/gatewayclasses.gateway.networking.k8s.io",
    "CustomResourceDefinition/gateways.gateway.networking.k8s.io",
    "CustomResourceDefinition/httproutes.gateway.networking.k8s.io",
  ]);
  for (const o of r.objects) {
    const c = crd(r, o.metadata.name);
    assertEquals(c.spec.group, "gateway.networking.k8s.io");
    assertEquals(versions(c), ["v1+served+storage"]);
    assertEquals(c.metadata.annotations["gateway.networking.k8s.io/bundle-version"], "v1.5.1");
  }
  assertEquals(
    find(r, "CustomResourceDefinition", "gatewayclasses.gateway.networking.k8s.io").spec.scope,
    "Cluster",
  );
});

Deno.test("the cluster default-deny policy denies all ingress in namespace default", async () => {
  const text = await Deno.readTextFile(`${REPO}/tests/fixtures/cluster/default-deny.yaml`);
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  assertEquals(docs, [{
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace: "default" },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  }]);
});
