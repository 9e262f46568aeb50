import { assertEquals, assertRejects, assertThrows } from "../../_assert.ts";
import { loadConfig, parseConfig } from "../../../lib/config/config.ts";
import { InputError } from "../../../lib/errors.ts";

const env = { CLUSTER_DOMAIN: "homelab.example.com" };

Deno.test("parseConfig() fills every default from the environment alone", () => {
  const c = parseConfig(undefined, { env });
  assertEquals(c.cluster.domain, "homelab.example.com");
  assertEquals(c.istio.version, "1.30.3");
  assertEquals(c.gatewayApi.version, "v1.5.1");
  assertEquals(c.gatewayApi.needed, false);
  assertEquals(c.telemetry.otlpEndpoint, "tempo-distributor.tempo.svc.cluster.local:4317");
  assertEquals(c.kiali.charts, "https://kiali.org/helm-charts");
  assertEquals(c.kiali.ingress.host, "kiali.homelab.example.com");
  assertEquals(c.bookinfo.namespace, "book-info");
  assertEquals(
    c.bookinfo.source,
    "https://raw.githubusercontent.com/istio/istio/1.30.3/samples/bookinfo",
  );
});

Deno.test("parseConfig() matches Gateway API to the Istio line and bookinfo to its tag", () => {
  const c = parseConfig("istio:\n  version: 1.28.4\n", { env });
  assertEquals(c.gatewayApi.version, "v1.4.0");
  assertEquals(
    c.bookinfo.source,
    "https://raw.githubusercontent.com/istio/istio/1.28.4/samples/bookinfo",
  );
});

Deno.test("parseConfig() lets environment variables override the file", () => {
  const c = parseConfig("cluster:\n  domain: file.example.com\ntelemetry:\n  tracing: true\n", {
    env: {
      CLUSTER_DOMAIN: "env.example.com",
      TELEMETRY_TRACING: "false",
      TELEMETRY_SAMPLING_PERCENT: "25",
    },
  });
  assertEquals(c.cluster.domain, "env.example.com");
  assertEquals(c.telemetry.tracing, false);
  assertEquals(c.telemetry.samplingPercent, 25);
});

Deno.test("parseConfig() needs Gateway API CRDs for a waypoint or the gateway-api flavour", () => {
  assertEquals(parseConfig("bookinfo:\n  waypoint: true\n", { env }).gatewayApi.needed, true);
  assertEquals(parseConfig("bookinfo:\n  flavour: gateway-api\n", { env }).gatewayApi.needed, true);
  assertEquals(
    parseConfig("gatewayApi:\n  install: off\nbookinfo:\n  waypoint: true\n", { env }).gatewayApi
      .needed,
    false,
  );
});

Deno.test("parseConfig() names the line and suggests the field for an unknown key", () => {
  const e = assertThrows(() => parseConfig("istio:\n  verison: 1.30.3\n", { env }), InputError);
  assertEquals(e.message, 'Invalid config at cluster.yaml:2: unknown field "istio.verison"');
  assertEquals(e.hint, 'did you mean "istio.version"?');
});

Deno.test("parseConfig() rejects an invalid version with its line", () => {
  const e = assertThrows(
    () =>
      parseConfig("cluster:\n  domain: a.example.com\nistio:\n  version: '1.30'\n", { env: {} }),
    InputError,
  );
  assertEquals(
    e.message,
    'Invalid config at cluster.yaml:4: field "istio.version" expected a version such as 1.30.3 (got "1.30")',
  );
});

Deno.test("parseConfig() rejects a domain that is not a DNS name, naming the variable", () => {
  const e = assertThrows(
    () => parseConfig(undefined, { env: { CLUSTER_DOMAIN: "evil.com\nkey: v" } }),
    InputError,
  );
  assertEquals(
    e.message.startsWith(
      'Invalid config at environment variable CLUSTER_DOMAIN: field "cluster.domain"',
    ),
    true,
  );
});

Deno.test("parseConfig() rejects URLs, endpoints and names that are not what they claim", () => {
  const cases: [string, string][] = [
    ["kiali:\n  prometheusUrl: 'ftp://x'\n", "kiali.prometheusUrl"],
    ["telemetry:\n  otlpEndpoint: 'tempo: 4317'\n", "telemetry.otlpEndpoint"],
    ["gateway:\n  release: Istio_Gateway\n", "gateway.release"],
    ["gateway:\n  loadBalancerIP: 10.0.0.300\n", "gateway.loadBalancerIP"],
    ["telemetry:\n  samplingPercent: 101\n", "telemetry.samplingPercent"],
    ["bookinfo:\n  flavour: sidecar\n", "bookinfo.flavour"],
    ["kiali:\n  openid:\n    clientSecretEnv: 'not an env'\n", "kiali.openid.clientSecretEnv"],
  ];
  for (const [text, field] of cases) {
    const e = assertThrows(() => parseConfig(text, { env }), InputError);
    assertEquals(e.message.includes(`field "${field}"`), true, e.message);
  }
});

Deno.test("parseConfig() requires a domain", () => {
  const e = assertThrows(() => parseConfig("istio:\n  version: 1.30.3\n", { env: {} }), InputError);
  assertEquals(e.message.includes('"cluster.domain" is required'), true);
  assertEquals(e.hint?.includes("CLUSTER_DOMAIN"), true);
});

Deno.test("parseConfig() requires an issuer with openid auth", () => {
  const e = assertThrows(() => parseConfig("kiali:\n  auth: openid\n", { env }), InputError);
  assertEquals(e.message.includes('"kiali.openid.issuerUri" is required'), true);
});

Deno.test("parseConfig() names the line of malformed YAML", () => {
  const e = assertThrows(
    () => parseConfig("cluster:\n  domain: a.b\n bad: [\n", { env }),
    InputError,
  );
  assertEquals(/^Cannot parse config "cluster.yaml:\d+"/.test(e.message), true, e.message);
});

Deno.test("parseConfig() rejects a malformed boolean in the environment", () => {
  const e = assertThrows(
    () => parseConfig(undefined, { env: { ...env, BOOKINFO_WAYPOINT: "maybe" } }),
    InputError,
  );
  assertEquals(
    e.message,
    'Invalid environment variable BOOKINFO_WAYPOINT: expected true or false (got "maybe")',
  );
});

Deno.test("loadConfig() fails on a missing --config file and tolerates a missing cluster.yaml", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const e = await assertRejects(
      () => loadConfig({ file: "nope.yaml", env, cwd: dir }),
      InputError,
    );
    assertEquals(e.message, 'Cannot read config "nope.yaml": file not found');
    const loaded = await loadConfig({ env, cwd: dir });
    assertEquals(loaded.file, undefined);
    await Deno.writeTextFile(`${dir}/cluster.yaml`, "gateway:\n  release: edge\n");
    assertEquals((await loadConfig({ env, cwd: dir })).config.gateway.release, "edge");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the example config parses and documents every environment variable", async () => {
  const text = await Deno.readTextFile(new URL("../../../cluster.example.yaml", import.meta.url));
  parseConfig(text, { env: {} });
  const { ENV_OVERRIDES } = await import("../../../lib/config/config.ts");
  for (const [name] of ENV_OVERRIDES) {
    assertEquals(text.includes(`[${name}`), true, `cluster.example.yaml does not mention ${name}`);
  }
});
