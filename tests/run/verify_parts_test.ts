/**
 * The parts of `verify` that need no cluster: node eligibility for
 * DaemonSets, productpage URLs, tracing providers in istiod's mesh config,
 * and httpGet's Host header.
 */
import { assertEquals } from "../_assert.ts";
import { httpGet, productpageUrl } from "../../lib/checks/verify/http.ts";
import { meshProviderNames } from "../../lib/checks/verify/telemetry.ts";
import { eligibleNodes } from "../../lib/checks/verify/workloads.ts";
import type { Rec } from "../sim/mod.ts";
import { withProductpage } from "./_verify.ts";

function node(name: string, spec: Rec = {}, labels: Record<string, string> = {}): Rec {
  return {
    metadata: { name, labels: { "kubernetes.io/os": "linux", ...labels } },
    spec,
  };
}

Deno.test("eligibleNodes() leaves out cordoned nodes, untolerated taints and unmatched selectors", () => {
  const nodes = [
    node("plain"),
    node("cordoned", { unschedulable: true }),
    node("tainted", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }),
    node("prefer", { taints: [{ key: "x", effect: "PreferNoSchedule" }] }),
    node("control", {
      taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
    }),
    node("windows", {}, { "kubernetes.io/os": "windows" }),
  ];
  const ds = (podSpec: Rec): Rec => ({ spec: { template: { spec: podSpec } } });
  const names = (podSpec: Rec): string[] =>
    eligibleNodes(ds(podSpec), nodes).map((n) => String((n.metadata as Rec).name));
  assertEquals(names({}), ["plain", "prefer", "windows"]);
  assertEquals(names({ nodeSelector: { "kubernetes.io/os": "linux" } }), ["plain", "prefer"]);
  assertEquals(
    names({ tolerations: [{ operator: "Exists", effect: "NoSchedule" }] }),
    ["plain", "tainted", "prefer", "control", "windows"],
  );
  assertEquals(
    names({ tolerations: [{ key: "dedicated", operator: "Equal", value: "web" }] }),
    ["plain", "prefer", "windows"],
  );
  assertEquals(
    names({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{
              matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["windows"] }],
            }],
          },
        },
      },
    }),
    ["windows"],
  );
});

Deno.test("productpageUrl() brackets IPv6 literals and keeps ports", () => {
  assertEquals(productpageUrl("10.0.0.5"), "http://10.0.0.5/productpage");
  assertEquals(productpageUrl("127.0.0.1:8080"), "http://127.0.0.1:8080/productpage");
  assertEquals(productpageUrl("fd00::5"), "http://[fd00::5]/productpage");
  assertEquals(productpageUrl("lb.example.com"), "http://lb.example.com/productpage");
});

Deno.test("meshProviderNames() reads extensionProviders from istiod's mesh YAML", () => {
  assertEquals(
    meshProviderNames(
      "enableTracing: true\nextensionProviders:\n  - name: otel\n  - name: zipkin\n",
    ),
    ["otel", "zipkin"],
  );
  assertEquals(meshProviderNames("{}"), []);
  assertEquals(meshProviderNames(""), []);
});

Deno.test("httpGet() sends the Host header it is given, which fetch would replace", async () => {
  await withProductpage(200, async (address, hosts) => {
    const res = await httpGet(`http://${address}/productpage`, {
      headers: { host: "bookinfo.example.com" },
      signal: AbortSignal.timeout(2000),
    });
    assertEquals(res.status, 200);
    const plain = await httpGet(`http://${address}/productpage`);
    assertEquals(plain.status, 200);
    assertEquals(hosts, ["bookinfo.example.com /productpage", `${address} /productpage`]);
  });
});
