/**
 * The stand-in charts and manifests under tests/fixtures/ render, with the
 * real helm and meshup's own values files, into the object names, labels
 * and ports that meshup relies on (ERRATA 2, 5, 6, 11).
 */
import { parse, parseAllDocuments } from "yaml";
import { assert, assertEquals, assertNotIncludes } from "./_assert.ts";
import { kubeBinaries } from "./sim/binaries.ts";
import { resolveChart } from "../lib/config/sources.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const CHARTS = `${REPO}/tests/fixtures/charts`;
const VALUES = `${REPO}/values`;

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** Runs the real helm with HOME (and helm's XDG folders) in a throwaway dir. */
async function helm(args: string[]): Promise<string> {
  const { helm } = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "fixtures-helm-" });
  try {
    const out = await new Deno.Command(helm, {
      args,
      env: {
        HOME: home,
        XDG_CACHE_HOME: `${home}/.cache`,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_DATA_HOME: `${home}/.local/share`,
        KUBECONFIG: `${home}/no-kubeconfig`,
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const err = new TextDecoder().decode(out.stderr);
    assert(out.success, `helm ${args.join(" ")} failed (${out.code}):\n${err}`);
    return text;
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

interface Rendered {
  text: string;
  objects: Obj[];
}

/** `helm template RELEASE tests/fixtures/charts/CHART -n NAMESPACE ...` */
async function template(
  chart: string,
  options: { release: string; namespace: string; args?: string[] },
): Promise<Rendered> {
  const text = await helm([
    "template",
    options.release,
    `${CHARTS}/${chart}`,
    "--namespace",
    options.namespace,
    ...(options.args ?? []),
  ]);
  const objects: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    assertEquals(doc.errors.length, 0, `unparsable helm output:\n${text}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as Obj);
  }
  return { text, objects };
}

function values(name: string): string[] {
  return ["--values", `${VALUES}/${name}.yaml`];
}

function find(r: Rendered, kind: string, name: string): Obj {
  const found = r.objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  assertEquals(
    found.length,
    1,
    `expected one ${kind} ${name}, got: ${r.objects.map((o) => `${o.kind}/${o.metadata?.name}`)}`,
  );
  return found[0];
}

function kinds(r: Rendered): string[] {
  return r.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

function ports(list: Obj[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((p) => [p.name, p.targetPort === undefined ? p.port : `${p.port}->${p.targetPort}`]),
  );
}

function containerPorts(workload: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of workload.spec.template.spec.containers) {
    for (const p of c.ports ?? []) out[p.name] = p.containerPort;
  }
  return out;
}

function crd(r: Rendered, name: string): Obj {
  const c = find(r, "CustomResourceDefinition", name);
  assertEquals(c.apiVersion, "apiextensions.k8s.io/v1");
  for (const v of c.spec.versions) {
    assertEquals(v.schema.openAPIV3Schema["x-kubernetes-preserve-unknown-fields"], true, name);
  }
  return c;
}

function versions(c: Obj): string[] {
  return c.spec.versions.map((v: Obj) =>
    `${v.name}${v.served ? "+served" : ""}${v.storage ? "+storage" : ""}`
  );
}

/** Concrete stand-ins for the `${VAR}`s in values/gateway*.yaml. */
const GATEWAY_SETS = [
  "--set",
  "labels.istio=gateway",
  "--set-json",
  "service.annotations={}",
];

/** Concrete stand-ins for the `${VAR}`s in values/istiod-tracing.yaml. */
const TRACING_SETS = [
  "--set-json",
  `meshConfig.extensionProviders=${
    JSON.stringify([{
      name: "opentelemetry",
      opentelemetry: {
        service: "tempo-distributor.tempo.svc.cluster.local",
        port: 4317,
        resource_detectors: { environment: {} },
      },
    }])
  }`,
];

Deno.test("the base chart renders Istio's CRDs as templates and the reader ServiceAccount", async () => {
  const r = await template("base", {
    release: "istio-base",
    namespace: "istio-system",
    args: values("istio-base"),
  });
  assertEquals(kinds(r), [
    "CustomResourceDefinition/authorizationpolicies.security.istio.io",
    "CustomResourceDefinition/gateways.networking.istio.io",
    "CustomResourceDefinition/peerauthentications.security.istio.io",
    "CustomResourceDefinition/telemetries.telemetry.istio.io",
    "CustomResourceDefinition/virtualservices.networking.istio.io",
    "ServiceAccount/istio-reader-service-account",
  ]);
  const telemetry = crd(r, "telemetries.telemetry.istio.io");
  assertEquals(telemetry.spec.group, "telemetry.istio.io");
  assertEquals(telemetry.spec.names.kind, "Telemetry");
  assertEquals(versions(telemetry), ["v1+served+storage", "v1alpha1+served"]);
  for (const [name, kind] of [["gateways", "Gateway"], ["virtualservices", "VirtualService"]]) {
    const c = crd(r, `${name}.networking.istio.io`);
    assertEquals(c.spec.names.kind, kind);
    assertEquals(c.spec.scope, "Namespaced");
    assertEquals(versions(c), ["v1+served+storage", "v1beta1+served"]);
  }
  assertEquals(
    crd(r, "peerauthentications.security.istio.io").spec.names.kind,
    "PeerAuthentication",
  );
  assertEquals(
    crd(r, "authorizationpolicies.security.istio.io").spec.names.kind,
    "AuthorizationPolicy",
  );
  assertEquals(
    find(r, "ServiceAccount", "istio-reader-service-account").metadata.namespace,
    "istio-system",
  );
});

Deno.test("the cni chart renders DaemonSet istio-cni-node and echoes profile ambient", async () => {
  const r = await template("cni", {
    release: "istio-cni",
    namespace: "istio-system",
    args: values("istio-cni"),
  });
  assertEquals(kinds(r), ["ConfigMap/istio-cni-config", "DaemonSet/istio-cni-node"]);
  const ds = find(r, "DaemonSet", "istio-cni-node");
  assertEquals(ds.metadata.namespace, "istio-system");
  assertEquals(ds.metadata.labels["k8s-app"], "istio-cni-node");
  assertEquals(ds.spec.template.metadata.labels["k8s-app"], "istio-cni-node");
  const cm = find(r, "ConfigMap", "istio-cni-config");
  assertEquals(cm.data.PROFILE, "ambient");
  assertEquals(cm.data.PLATFORM, "");
});

Deno.test("the cni chart takes global.platform k3s from the k3s values file", async () => {
  const r = await template("cni", {
    release: "istio-cni",
    namespace: "istio-system",
    args: [...values("istio-cni"), ...values("istio-cni-k3s")],
  });
  const cm = find(r, "ConfigMap", "istio-cni-config");
  assertEquals(cm.data.PROFILE, "ambient");
  assertEquals(cm.data.PLATFORM, "k3s");
});

Deno.test("the istiod chart renders Deployment and Service istiod with pilot labels and ports", async () => {
  const r = await template("istiod", {
    release: "istiod",
    namespace: "istio-system",
    args: values("istiod"),
  });
  assertEquals(kinds(r), [
    "ConfigMap/istio",
    "Deployment/istiod",
    "Service/istiod",
    "ValidatingWebhookConfiguration/istio-validator-istio-system",
  ]);
  // as the chart installs it; istiod rewrites caBundle and failurePolicy at run time
  const webhook = find(r, "ValidatingWebhookConfiguration", "istio-validator-istio-system");
  assertEquals(webhook.webhooks[0].failurePolicy, "Ignore");
  assertEquals(webhook.webhooks[0].clientConfig.service.name, "istiod");
  const deploy = find(r, "Deployment", "istiod");
  assertEquals(deploy.metadata.namespace, "istio-system");
  assertEquals(deploy.spec.template.metadata.labels.app, "istiod");
  assertEquals(deploy.spec.template.metadata.labels.istio, "pilot");
  const svc = find(r, "Service", "istiod");
  assertEquals(svc.metadata.labels.app, "istiod");
  assertEquals(svc.metadata.labels.istio, "pilot");
  assertEquals(ports(svc.spec.ports), {
    "grpc-xds": 15010,
    "https-dns": 15012,
    "https-webhook": "443->15017",
    "http-monitoring": 15014,
  });
  const cm = find(r, "ConfigMap", "istio");
  assertEquals(cm.data.profile, "ambient");
  assertEquals(parse(cm.data.mesh), {});
});

Deno.test("the istiod chart puts the tracing provider into ConfigMap istio's mesh", async () => {
  const r = await template("istiod", {
    release: "istiod",
    namespace: "istio-system",
    args: [...values("istiod"), ...values("istiod-tracing"), ...TRACING_SETS],
  });
  assertNotIncludes(r.text, "${");
  const mesh = parse(find(r, "ConfigMap", "istio").data.mesh);
  assertEquals(mesh.enableTracing, true);
  assertEquals(mesh.extensionProviders, [{
    name: "opentelemetry",
    opentelemetry: {
      service: "tempo-distributor.tempo.svc.cluster.local",
      port: 4317,
      resource_detectors: { environment: {} },
    },
  }]);
});

Deno.test("the ztunnel chart renders DaemonSet ztunnel with ports ztunnel-stats and 15021", async () => {
  const r = await template("ztunnel", {
    release: "ztunnel",
    namespace: "istio-system",
    args: values("ztunnel"),
  });
  assertEquals(kinds(r), ["DaemonSet/ztunnel"]);
  const ds = find(r, "DaemonSet", "ztunnel");
  assertEquals(ds.metadata.labels.app, "ztunnel");
  assertEquals(ds.spec.template.metadata.labels.app, "ztunnel");
  assertEquals(containerPorts(ds), { "ztunnel-stats": 15020, health: 15021 });
  const probe = ds.spec.template.spec.containers[0].readinessProbe.httpGet;
  assertEquals([probe.path, probe.port], ["/healthz/ready", 15021]);
});

Deno.test("the gateway chart names its Deployment and Service after the release", async () => {
  const r = await template("gateway", {
    release: "istio-gateway",
    namespace: "istio-ingress",
    args: [...values("gateway"), ...GATEWAY_SETS],
  });
  assertNotIncludes(r.text, "${");
  assertEquals(kinds(r), ["Deployment/istio-gateway", "Service/istio-gateway"]);
  const deploy = find(r, "Deployment", "istio-gateway");
  assertEquals(deploy.metadata.namespace, "istio-ingress");
  const podLabels = deploy.spec.template.metadata.labels;
  assertEquals([podLabels.app, podLabels.istio], ["istio-gateway", "gateway"]);
  const svc = find(r, "Service", "istio-gateway");
  assertEquals(svc.spec.type, "LoadBalancer");
  assertEquals(svc.metadata.annotations, undefined);
  assertEquals(svc.spec.loadBalancerIP, undefined);
  assertEquals(svc.spec.selector, { app: "istio-gateway", istio: "gateway" });
  assertEquals(ports(svc.spec.ports), {
    "status-port": "15021->15021",
    http2: "80->8080",
    https: "443->8443",
  });
  assertEquals(containerPorts(deploy)["status-port"], 15021);
});

Deno.test("the gateway chart takes a fixed LoadBalancer IP and its annotations", async () => {
  const r = await template("gateway", {
    release: "istio-gateway",
    namespace: "istio-ingress",
    args: [
      ...values("gateway"),
      ...values("gateway-loadbalancer-ip"),
      ...GATEWAY_SETS,
      "--set-json",
      'service.annotations={"io.cilium/lb-ipam-ips":"10.0.0.100","team":"mesh"}',
      "--set",
      "service.loadBalancerIP=10.0.0.100",
    ],
  });
  assertNotIncludes(r.text, "${");
  const svc = find(r, "Service", "istio-gateway");
  assertEquals(svc.spec.loadBalancerIP, "10.0.0.100");
  assertEquals(svc.metadata.annotations, { "io.cilium/lb-ipam-ips": "10.0.0.100", team: "mesh" });
});

Deno.test("the gateway chart derives label istio from the release unless labels.istio is set", async () => {
  const cases: [string, string[], string][] = [
    ["istio-gateway", [], "gateway"],
    ["istio-ingressgateway", [], "ingressgateway"],
    ["edge", [], "edge"],
    ["istio-gateway", ["--set", "labels.istio=ingressgateway"], "ingressgateway"],
  ];
  for (const [release, args, want] of cases) {
    const r = await template("gateway", { release, namespace: "istio-ingress", args });
    const deploy = find(r, "Deployment", release);
    assertEquals(deploy.spec.template.metadata.labels.istio, want, `release ${release} ${args}`);
    assertEquals(deploy.spec.selector.matchLabels, { app: release, istio: want });
    assertEquals(find(r, "Service", release).spec.type, "LoadBalancer");
  }
  const nodePort = await template("gateway", {
    release: "istio-gateway",
    namespace: "istio-ingress",
    args: ["--set", "service.type=NodePort"],
  });
  assertEquals(find(nodePort, "Service", "istio-gateway").spec.type, "NodePort");
});

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
