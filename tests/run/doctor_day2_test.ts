/**
 * `doctor`'s day-2 checks against the simulator with the real kubectl and
 * helm: eBPF host routing in cilium-config, a probe policy without ambient's
 * IPv6 address, policies that keep HBONE (15008) out of ambient pods, and the
 * upgrade prechecks over installed stand-in charts at other versions.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, REPO, withCluster } from "../_cluster.ts";
import type { Rec } from "../sim/mod.ts";
import { byId, crd, doctor, waitFor } from "./_doctor.ts";

const CILIUM_CRDS = [
  crd("cilium.io", "CiliumNetworkPolicy", "ciliumnetworkpolicies", { version: "v2" }),
  crd("cilium.io", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", {
    scope: "Cluster",
    version: "v2",
  }),
];

async function seedCiliumCrds(c: Cluster): Promise<void> {
  c.sim.seed(CILIUM_CRDS);
  await waitFor(() =>
    c.sim.api.typeOf({ apiVersion: "cilium.io/v2", kind: "CiliumClusterwideNetworkPolicy" }) !==
      undefined &&
    c.sim.api.typeOf({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy" }) !== undefined
  );
}

function ciliumConfig(data: Record<string, string>): Rec {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cilium-config", namespace: "kube-system" },
    data: { "bpf-lb-sock-hostns-only": "true", "cni-exclusive": "false", ...data },
  };
}

function probePolicy(cidrs: string[]): Rec {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumClusterwideNetworkPolicy",
    metadata: { name: "allow-ambient-hostprobes" },
    spec: {
      endpointSelector: {},
      enableDefaultDeny: { ingress: false, egress: false },
      ingress: [{ fromCIDR: cidrs }],
    },
  };
}

function ambientNamespace(name: string): Rec {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "istio.io/dataplane-mode": "ambient" } },
  };
}

function pod(namespace: string, name: string, labels: Record<string, string>): Rec {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "example.invalid/app:test" }] },
  };
}

// ------------------------------------------------------- eBPF host routing

Deno.test("doctor fails Cilium with eBPF host routing and passes it with legacy host routing", async () => {
  await withCluster(async (c) => {
    c.sim.seed(ciliumConfig({ "enable-host-legacy-routing": "false" }));
    const ebpf = byId(await doctor(c), "cilium");
    assertEquals(ebpf.status, "fail");
    assertStringIncludes(ebpf.detail, 'enable-host-legacy-routing is "false"');
    assertStringIncludes(ebpf.hint ?? "", "bpf.hostLegacyRouting=true");
    assertStringIncludes(ebpf.hint ?? "", "cilium#36022");
    assertStringIncludes(ebpf.hint ?? "", "#38338");
    // BPF masquerading is fine once host routing is legacy (cilium PR #38338, istio#52208)
    c.sim.seed(ciliumConfig({
      "kube-proxy-replacement": "true",
      "enable-bpf-masquerade": "true",
      "enable-host-legacy-routing": "true",
    }));
    const legacy = byId(await doctor(c), "cilium");
    assertEquals(legacy.status, "pass", legacy.detail);
    assertStringIncludes(legacy.detail, 'enable-host-legacy-routing "true"');
  });
});

// ------------------------------------------------------------ probe policy

Deno.test("doctor fails a probe policy without ambient's IPv6 address when IPv6 is on, warns when off", async () => {
  await withCluster(async (c) => {
    await seedCiliumCrds(c);
    c.sim.seed([ciliumConfig({ "enable-ipv6": "true" }), probePolicy(["169.254.7.127/32"])]);
    const on = byId(await doctor(c), "probe-policy-ipv6");
    assertEquals(on.status, "fail");
    assertStringIncludes(on.detail, "CiliumClusterwideNetworkPolicy allow-ambient-hostprobes");
    assertStringIncludes(on.detail, "fd16:9254:7127:1337:ffff:ffff:ffff:ffff");
    assertStringIncludes(on.hint ?? "", "deno task cilium");
    assertStringIncludes(on.hint ?? "", "istio#56484");
    c.sim.seed(ciliumConfig({ "enable-ipv6": "false" }));
    assertEquals(byId(await doctor(c), "probe-policy-ipv6").status, "warn");
    // meshup's manifest lets in both
    const manifest = await Deno.readTextFile(`${REPO}/manifests/cilium-probe-policy.yaml`);
    assertStringIncludes(manifest, "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128");
    c.sim.seed(
      probePolicy(["169.254.7.127/32", "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128"]),
    );
    const both = byId(await doctor(c), "probe-policy-ipv6");
    assertEquals(both.status, "pass", both.detail);
    assertStringIncludes(both.detail, "both probe addresses");
  });
});

// ------------------------------------------------------------------ HBONE

Deno.test("doctor fails a NetworkPolicy that keeps HBONE out of ambient pods and passes once 15008 is allowed", async () => {
  await withCluster(async (c) => {
    c.sim.seed([
      ambientNamespace("shop"),
      pod("shop", "web-1", { app: "web" }),
      pod("shop", "db-1", { app: "db" }),
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "web-only-8080", namespace: "shop" },
        spec: {
          podSelector: { matchLabels: { app: "web" } },
          policyTypes: ["Ingress"],
          ingress: [{ ports: [{ protocol: "TCP", port: 8080 }] }],
        },
      },
    ]);
    const blocked = byId(await doctor(c), "hbone-policies");
    assertEquals(blocked.status, "fail");
    assertStringIncludes(blocked.detail, "pod shop/web-1 (NetworkPolicy shop/web-only-8080)");
    assert(!blocked.detail.includes("db-1"), blocked.detail);
    assertStringIncludes(blocked.hint ?? "", "istio#49277");
    c.sim.seed({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-hbone", namespace: "shop" },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ protocol: "TCP", port: 15008 }] }],
      },
    });
    const allowed = byId(await doctor(c), "hbone-policies");
    assertEquals(allowed.status, "pass", allowed.detail);
  });
});

Deno.test("doctor fails a CiliumNetworkPolicy on an ambient namespace's pods without 15008, and ignores other namespaces", async () => {
  await withCluster(async (c) => {
    await seedCiliumCrds(c);
    c.sim.seed([
      ambientNamespace("shop"),
      pod("shop", "web-1", { app: "web" }),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy" } },
      pod("legacy", "old-1", { app: "web" }),
      ...["shop", "legacy"].map((namespace) => ({
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: "web-8080", namespace },
        spec: {
          endpointSelector: { matchLabels: { "k8s:app": "web" } },
          ingress: [{
            fromEndpoints: [{}],
            toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }],
          }],
        },
      })),
      // a probe rule lets in the link-local address only: no mesh client
      probePolicy(["169.254.7.127/32"]),
    ]);
    const r = byId(await doctor(c), "hbone-policies");
    assertEquals(r.status, "fail");
    assertStringIncludes(r.detail, "pod shop/web-1 (CiliumNetworkPolicy shop/web-8080)");
    assert(!r.detail.includes("legacy"), r.detail);
  });
});

Deno.test("doctor passes HBONE when no namespace is ambient yet", async () => {
  await withCluster(async (c) => {
    const r = byId(await doctor(c), "hbone-policies");
    assertEquals(r.status, "pass", r.detail);
    assertStringIncludes(r.detail, "no policy keeps HBONE");
  });
});

// ---------------------------------------------------------------- upgrade

async function installAt(c: Cluster, chart: string, release: string, version: string) {
  const dir = await Deno.makeTempDir({ prefix: "doctor-charts-" });
  try {
    const pkg = await c.tool([
      "helm",
      "package",
      `${REPO}/tests/fixtures/charts/${chart}`,
      "--version",
      version,
      "--destination",
      dir,
    ]);
    assertEquals(pkg.code, 0, pkg.stderr);
    const r = await c.tool([
      "helm",
      "upgrade",
      "--install",
      release,
      `${dir}/${chart}-${version}.tgz`,
      "--namespace",
      "istio-system",
      "--create-namespace",
    ]);
    assertEquals(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("doctor refuses an Istio upgrade that skips a minor and names the steps, read from the Helm releases", async () => {
  await withCluster(async (c) => {
    await installAt(c, "base", "istio-base", "1.28.1");
    await installAt(c, "istiod", "istiod", "1.28.1");
    await installAt(c, "ztunnel", "ztunnel", "1.28.1");
    const results = await doctor(c);
    const skew = byId(results, "istio-skew");
    assertEquals(skew.status, "fail");
    assertStringIncludes(skew.detail, "istio-base 1.28.1, istiod 1.28.1, ztunnel 1.28.1");
    assertStringIncludes(skew.detail, "2 minors behind 1.30.3");
    assertStringIncludes(skew.hint ?? "", "first 1.29.x, then 1.30.3");
    const crds = byId(results, "istio-crds");
    assertEquals(crds.status, "pass", crds.detail);
    assertStringIncludes(crds.detail, "istio/base 1.28.1 → 1.30.3");
    // one minor up is allowed, in Istio's order
    const next = byId(await doctor(c, { ISTIO_VERSION: "1.29.2" }), "istio-skew");
    assertEquals(next.status, "pass", next.detail);
    assertStringIncludes(next.detail, "minor 1.28.1 → 1.29.2 in place");
    // a downgrade across minors has no path
    const down = byId(await doctor(c, { ISTIO_VERSION: "1.27.3" }), "istio-skew");
    assertEquals(down.status, "fail");
    assertStringIncludes(down.detail, "downgrade across minors");
  });
});

Deno.test("doctor passes the upgrade prechecks for a patch upgrade and for an install as configured", async () => {
  await withCluster(async (c) => {
    const fresh = await doctor(c);
    assertEquals(
      byId(fresh, "istio-skew").detail,
      "Istio not installed by Helm: meshup will install 1.30.3",
    );
    assertEquals(byId(fresh, "istio-crds").status, "pass");
    await installAt(c, "base", "istio-base", "1.30.2");
    await installAt(c, "istiod", "istiod", "1.30.2");
    await installAt(c, "cni", "istio-cni", "1.30.2");
    const patch = byId(await doctor(c), "istio-skew");
    assertEquals(patch.status, "pass", patch.detail);
    assertStringIncludes(patch.detail, "patch 1.30.2 → 1.30.3");
    const same = byId(await doctor(c, { ISTIO_VERSION: "1.30.2" }), "istio-skew");
    assertEquals(same.detail, "istio-base 1.30.2, istio-cni 1.30.2, istiod 1.30.2: as configured");
  });
});
