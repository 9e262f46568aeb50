/**
 * The stand-ins of Istio's charts (base, cni, istiod, ztunnel, gateway)
 * render, with the real helm and meshup's own values files, into the object
 * names, labels and ports that meshup relies on (ERRATA 2, 5, 6, 11).
 */
import { parse } from "yaml";
import { assertEquals, assertNotIncludes } from "./_assert.ts";
import {
  containerPorts,
  crd,
  find,
  GATEWAY_SETS,
  kinds,
  ports,
  template,
  TRACING_SETS,
  values,
  versions,
} from "./_charts.ts";

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
