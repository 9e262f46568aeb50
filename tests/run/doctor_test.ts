/**
 * `doctor` against the simulated API server with the real kubectl and helm:
 * every check passing on a prepared cluster, and each failing for its own
 * reason. The version and Cilium verdicts are also tested as pure functions.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import { parseConfig } from "../../lib/config/config.ts";
import { ciliumSettingsCheck } from "../../lib/checks/doctor/cilium.ts";
import { runDoctor } from "../../lib/checks/doctor/mod.ts";
import { istioLineCheck, k8sVersionCheck } from "../../lib/checks/doctor/versions.ts";
import type { Rec } from "../sim/mod.ts";
import { byId, crd, doctor, makeKube, prepareHealthy, withHome } from "./_doctor.ts";

// ---------------------------------------------------------------- cluster

Deno.test("doctor passes every check on a cluster that has what the config asks for", async () => {
  await withCluster(async (c) => {
    await prepareHealthy(c);
    const results = await doctor(c);
    assertEquals(
      results.map((r) => r.id),
      [
        "kubectl",
        "helm",
        "context",
        "cluster",
        "istio-line",
        "kiali-istio",
        "k8s-version",
        "istio-skew",
        "istio-crds",
        "nodes",
        "permissions",
        "cilium",
        "prometheus-crds",
        "cluster-issuer",
        "ingress-class",
        "gateway-api",
        "default-deny",
        "probe-policy-ipv6",
        "hbone-policies",
      ],
    );
    for (const r of results) assertEquals(r.status, "pass", `${r.id}: ${r.detail}`);
    assertStringIncludes(byId(results, "kubectl").detail, "v1.35");
    assertStringIncludes(byId(results, "helm").detail, "v4.");
    assertStringIncludes(byId(results, "context").detail, 'context "sim"');
    assertStringIncludes(byId(results, "context").detail, c.sim.url);
    assertEquals(
      byId(results, "k8s-version").detail,
      "v1.35.0 is supported by Istio 1.30 (1.32-1.36)",
    );
    assertEquals(byId(results, "nodes").detail, "1 node: 1 amd64");
    assertStringIncludes(byId(results, "permissions").detail, "9 of 9 allowed");
    assertStringIncludes(byId(results, "cilium").detail, "Cilium not found");
    assertEquals(byId(results, "gateway-api").detail, "not installed, not needed");
    // read-only: nothing but reads and access reviews reached the server
    const seen = c.sim.requests.list();
    assert(seen.some((r) => r.method === "GET" && r.path === "/api/v1/nodes"));
    assert(seen.some((r) => r.method === "POST" && r.path.endsWith("/selfsubjectaccessreviews")));
    const writes = seen.filter((r) =>
      r.method !== "GET" && !r.path.includes("selfsubjectaccessreviews")
    );
    assertEquals(writes.map((r) => `${r.method} ${r.path}`), []);
  });
});

Deno.test("doctor fails the k8s version on a v1.29 server and names the Istio line that fits", async () => {
  await withCluster(async (c) => {
    const results = await doctor(c);
    const v = byId(results, "k8s-version");
    assertEquals(v.status, "fail");
    assertEquals(v.detail, "v1.29.0 is older than Istio 1.30 supports (1.32-1.36)");
    assertStringIncludes(v.hint ?? "", "1.27");
    // kubectl 1.35 against 1.29 is outside the supported skew
    assertEquals(byId(results, "kubectl").status, "warn");
  }, { sim: { serverVersion: "v1.29.0" } });
});

Deno.test("doctor fails the Prometheus CRDs when monitors are on, and only warns when auto", async () => {
  await withCluster(async (c) => {
    const on = byId(await doctor(c, { TELEMETRY_MONITORS: "on" }), "prometheus-crds");
    assertEquals(on.status, "fail");
    assertStringIncludes(on.detail, "servicemonitors.monitoring.coreos.com");
    assertStringIncludes(on.detail, "podmonitors.monitoring.coreos.com");
    const auto = byId(await doctor(c, { TELEMETRY_MONITORS: "auto" }), "prometheus-crds");
    assertEquals(auto.status, "warn");
    assertStringIncludes(auto.detail, "will be skipped");
  });
});

Deno.test("doctor fails permissions when an access review is denied and names what", async () => {
  await withCluster(async (c) => {
    const results = await doctor(c);
    const p = byId(results, "permissions");
    assertEquals(p.status, "fail");
    assertStringIncludes(
      p.detail,
      "create customresourcedefinitions.apiextensions.k8s.io (RBAC: no cluster-admin)",
    );
    assert(!p.detail.includes("namespaces"), p.detail);
    assert(p.hint);
  }, {
    sim: {
      faults: {
        accessReviews: [{
          verb: "create",
          resource: "customresourcedefinitions",
          allowed: false,
          reason: "RBAC: no cluster-admin",
        }],
      },
    },
  });
});

Deno.test("doctor fails Cilium when cilium-config has socket LB off, exclusive CNI and BPF masquerade", async () => {
  await withCluster(async (c) => {
    c.sim.seed({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cilium-config", namespace: "kube-system" },
      data: {
        "kube-proxy-replacement": "true",
        "bpf-lb-sock-hostns-only": "false",
        "cni-exclusive": "true",
        "enable-bpf-masquerade": "true",
      },
    });
    const r = byId(await doctor(c), "cilium");
    assertEquals(r.status, "fail");
    assertStringIncludes(r.detail, 'enable-bpf-masquerade is "true"');
    assertStringIncludes(r.detail, 'bpf-lb-sock-hostns-only is "false" (want "true")');
    assertStringIncludes(r.detail, 'cni-exclusive is "true" (want "false")');
    assertStringIncludes(r.hint ?? "", "bpf.masquerade=false");
  });
});

Deno.test("doctor passes Cilium when cilium-config allows ambient", async () => {
  await withCluster(async (c) => {
    c.sim.seed({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cilium-config", namespace: "kube-system" },
      data: { "bpf-lb-sock-hostns-only": "true", "cni-exclusive": "false" },
    });
    const r = byId(await doctor(c), "cilium");
    assertEquals(r.status, "pass", r.detail);
    assertStringIncludes(r.detail, "allows ambient");
  });
});

Deno.test("doctor warns about Kiali's missing ClusterIssuer and IngressClass", async () => {
  await withCluster(async (c) => {
    const results = await doctor(c);
    const issuer = byId(results, "cluster-issuer");
    assertEquals(issuer.status, "warn");
    assertStringIncludes(issuer.detail, "cert-manager is not installed");
    const cls = byId(results, "ingress-class");
    assertEquals(cls.status, "warn");
    assertStringIncludes(cls.detail, 'IngressClass "nginx" not found');
    const off = await doctor(c, { KIALI_INGRESS: "false" });
    assertEquals(byId(off, "cluster-issuer").status, "pass");
    assertEquals(byId(off, "ingress-class").status, "pass");
  });
});

Deno.test("doctor warns when the installed Gateway API CRDs differ from the configured version", async () => {
  await withCluster(async (c) => {
    c.sim.seed(
      crd("gateway.networking.k8s.io", "Gateway", "gateways", {
        annotations: {
          "gateway.networking.k8s.io/bundle-version": "v1.4.0",
          "gateway.networking.k8s.io/channel": "standard",
        },
      }),
    );
    const r = byId(await doctor(c), "gateway-api");
    assertEquals(r.status, "warn");
    assertEquals(r.detail, "v1.4.0 (standard channel) installed; configured v1.5.1 (Istio 1.30)");
    const pinned = byId(await doctor(c, { GATEWAY_API_VERSION: "v1.4.0" }), "gateway-api");
    assertEquals(pinned.status, "pass", pinned.detail);
  });
});

Deno.test("doctor warns that a probe policy is needed when default-deny exists and it is off", async () => {
  await withCluster(async (c) => {
    c.sim.seed({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace: "apps" },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
    const off = byId(await doctor(c, { CILIUM_PROBE_POLICY: "off" }), "default-deny");
    assertEquals(off.status, "warn");
    assertStringIncludes(off.detail, "NetworkPolicy apps/default-deny");
    assertStringIncludes(off.detail, "probe policy needed");
    // auto would apply a CiliumClusterwideNetworkPolicy, but there is no Cilium here
    const auto = byId(await doctor(c), "default-deny");
    assertEquals(auto.status, "warn");
    assertStringIncludes(auto.detail, "Cilium's policy CRDs are not installed");
  });
});

Deno.test("doctor reports node architectures by count", async () => {
  await withCluster(async (c) => {
    const node = c.sim.get("v1", "Node", undefined, "sim-node-2");
    assert(node);
    node.metadata.labels = { ...node.metadata.labels, "kubernetes.io/arch": "arm64" };
    c.sim.seed(node as unknown as Rec);
    const r = byId(await doctor(c), "nodes");
    assertEquals(r.status, "pass");
    assertEquals(r.detail, "3 nodes: 2 amd64, 1 arm64");
    assertStringIncludes(r.hint ?? "", "fs.inotify.max_user_instances");
  }, { sim: { nodes: 3 } });
});

// ------------------------------------------------------- without a cluster

Deno.test("doctor stops at an unreachable cluster and says so, without the checks that need it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await withHome(async (home) => {
    const kubeconfig = `${home}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: dead, cluster: {server: 'http://127.0.0.1:" + port + "'}}]",
        "users: [{name: dead, user: {}}]",
        "contexts: [{name: dead, context: {cluster: dead, user: dead}}]",
        "current-context: dead",
        "",
      ].join("\n"),
    );
    const config = parseConfig(undefined, { env: { CLUSTER_DOMAIN: "example.com" } });
    const results = await runDoctor(await makeKube(kubeconfig, home), config);
    assertEquals(results.map((r) => r.id), [
      "kubectl",
      "helm",
      "context",
      "cluster",
      "istio-line",
      "kiali-istio",
    ]);
    const cluster = byId(results, "cluster");
    assertEquals(cluster.status, "fail");
    assertStringIncludes(cluster.detail, "refused");
    assertStringIncludes(byId(results, "context").detail, 'context "dead"');
  });
});

Deno.test("doctor fails the helm check when helm is missing", async () => {
  await withHome(async (home) => {
    const kube = await makeKube(`${home}/none`, home, { helm: `${home}/no-such-helm` });
    const config = parseConfig(undefined, { env: { CLUSTER_DOMAIN: "example.com" } });
    const helm = byId(await runDoctor(kube, config), "helm");
    assertEquals(helm.status, "fail");
    assertStringIncludes(helm.detail, 'Cannot run "helm"');
  });
});

// ------------------------------------------------------------------- pure

Deno.test("k8sVersionCheck() follows the supported ranges of every known Istio line", () => {
  assertEquals(k8sVersionCheck("v1.32.1", "1.30.3").status, "pass");
  assertEquals(k8sVersionCheck("v1.36.0", "1.30.3").status, "pass");
  assertEquals(k8sVersionCheck("v1.31.9", "1.30.3").status, "fail");
  assertEquals(k8sVersionCheck("v1.37.0", "1.30.3").status, "warn");
  assertEquals(k8sVersionCheck("v1.31.0+k3s1", "1.29.0").status, "pass");
  assertEquals(k8sVersionCheck("v1.34.2-gke.100", "1.28.1").status, "pass");
  assertEquals(k8sVersionCheck("v1.29.0", "1.27.0").status, "pass");
  assertEquals(k8sVersionCheck("v1.28.0", "1.27.0").status, "fail");
  const unknown = k8sVersionCheck("v1.35.0", "1.31.0");
  assertEquals(unknown.status, "warn");
  assertStringIncludes(unknown.detail, "no supported Kubernetes range known for Istio 1.31");
});

Deno.test("istioLineCheck() warns for end-of-life and near-end-of-life lines", () => {
  const line = (v: string) =>
    istioLineCheck(parseConfig(undefined, {
      env: { CLUSTER_DOMAIN: "example.com", ISTIO_VERSION: v, GATEWAY_API_VERSION: "v1.3.0" },
    }));
  assertEquals(line("1.30.3").status, "pass");
  assertEquals(line("1.28.0").status, "pass");
  const near = line("1.27.2");
  assertEquals(near.status, "warn");
  assertStringIncludes(near.detail, "near its end of life");
  const eol = line("1.26.1");
  assertEquals(eol.status, "warn");
  assertStringIncludes(eol.detail, "end of life");
  assertStringIncludes(eol.hint ?? "", "1.30");
  assertEquals(line("1.31.0").status, "warn");
});

Deno.test("ciliumSettingsCheck() warns instead of failing when cilium.mode is fix, and ignores socket LB without kube-proxy replacement", () => {
  const config = (mode: string) =>
    parseConfig(undefined, { env: { CLUSTER_DOMAIN: "example.com", CILIUM_MODE: mode } });
  const wrong = { "bpf-lb-sock-hostns-only": "false", "cni-exclusive": "false" };
  assertEquals(ciliumSettingsCheck(wrong, config("check")).status, "fail");
  const fix = ciliumSettingsCheck(wrong, config("fix"));
  assertEquals(fix.status, "warn");
  assertStringIncludes(fix.hint ?? "", "cilium target will upgrade");
  const noKpr = ciliumSettingsCheck(
    { "kube-proxy-replacement": "false", "cni-exclusive": "false" },
    config("check"),
  );
  assertEquals(noKpr.status, "pass", noKpr.detail);
  assertEquals(
    ciliumSettingsCheck({ ...wrong, "enable-bpf-masquerade": "true" }, config("fix")).status,
    "fail",
  );
});
