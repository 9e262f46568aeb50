import { assert, assertEquals, assertStringIncludes } from "../../_assert.ts";
import {
  DEFAULT_ISTIO_VERSION,
  DEFAULT_KIALI_VERSION,
  GATEWAY_API_FOR_ISTIO,
  ISTIO_LINES,
  istioLine,
  istioLineOf,
  K8S_RANGE_FOR_ISTIO,
  KIALI_INCOMPATIBILITIES,
  kialiIncompatibilities,
} from "../../../lib/config/versions.ts";
import { parseConfig } from "../../../lib/config/config.ts";
import { kialiIstioCheck } from "../../../lib/checks/doctor/versions.ts";

Deno.test("the version table holds each Istio line once, oldest first, default line included", () => {
  const lines = ISTIO_LINES.map((l) => l.line);
  assertEquals(new Set(lines).size, lines.length);
  assertEquals([...lines].sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])), lines);
  assert(istioLine(DEFAULT_ISTIO_VERSION), `no row for ${DEFAULT_ISTIO_VERSION}`);
  for (const l of ISTIO_LINES) {
    assert(/^v\d+\.\d+\.\d+$/.test(l.gatewayApi), l.gatewayApi);
    assert(l.kubernetes[0] <= l.kubernetes[1], l.line);
  }
});

Deno.test("the config default, the Gateway API map and the Kubernetes ranges come from one table", () => {
  assertEquals(GATEWAY_API_FOR_ISTIO["1.30"], "v1.5.1");
  assertEquals(K8S_RANGE_FOR_ISTIO["1.30"], [32, 36]);
  for (const l of ISTIO_LINES) {
    const c = parseConfig(undefined, {
      env: { CLUSTER_DOMAIN: "example.com", ISTIO_VERSION: `${l.line}.0` },
    });
    assertEquals(c.gatewayApi.version, l.gatewayApi, l.line);
    assertEquals(GATEWAY_API_FOR_ISTIO[l.line], l.gatewayApi);
    assertEquals(K8S_RANGE_FOR_ISTIO[l.line], l.kubernetes);
  }
});

Deno.test("istioLineOf() reads the minor line of plain, v-prefixed and pre-release versions", () => {
  assertEquals(istioLineOf("1.30.3"), "1.30");
  assertEquals(istioLineOf("v1.31.0-rc.0"), "1.31");
  assertEquals(istioLineOf("1.30"), "1.30");
  assertEquals(istioLineOf("latest"), undefined);
  assertEquals(istioLine("1.99.0"), undefined);
});

Deno.test("kialiIncompatibilities() matches Kiali's listed exceptions by exact release or minor", () => {
  // the real entries: Kiali's compatibility data and kiali/kiali#6858
  assertEquals(kialiIncompatibilities("1.63.1", "1.17.2").length, 1);
  assertEquals(kialiIncompatibilities("1.63.2", "1.17.2"), []);
  assertEquals(kialiIncompatibilities("v1.73.8", "1.20.1")[0].source, "kiali/kiali#6858");
  assertEquals(kialiIncompatibilities("1.730.0", "1.20.1"), []);
  // a fixture entry stands for one Kiali may list for a supported line
  const table = [{ istio: "1.30", kiali: ["2.31.0"], note: "a fixture", source: "test" }];
  assertEquals(kialiIncompatibilities("2.31.0", "1.30.3", table).length, 1);
  assertEquals(kialiIncompatibilities("2.31.0", "1.29.2", table), []);
});

Deno.test("the default Kiali has no listed exception with any supported Istio line", () => {
  for (const l of ISTIO_LINES) {
    assertEquals(kialiIncompatibilities(DEFAULT_KIALI_VERSION, `${l.line}.0`), [], l.line);
  }
  assert(KIALI_INCOMPATIBILITIES.every((e) => e.source.length > 0));
});

Deno.test("kialiIstioCheck() passes a tested pair and warns on a listed exception, naming the source", () => {
  assertEquals(kialiIstioCheck(DEFAULT_KIALI_VERSION, DEFAULT_ISTIO_VERSION).status, "pass");
  const listed = kialiIstioCheck("1.63.0", "1.16.4");
  assertEquals(listed.status, "warn");
  assertStringIncludes(listed.detail, "listed as incompatible");
  assertStringIncludes(listed.hint ?? "", "kiali/kiali.io data/compatibility/istio.yaml");
  const table = [{ istio: "1.30", kiali: ["2.31"], note: "a fixture", source: "kiali#0" }];
  assertEquals(kialiIstioCheck("2.31.1", "1.30.3", table).status, "warn");
});
