/**
 * `verify` against the simulated API server after `up`, with the real
 * kubectl and helm: every check passing, and each failing for its own
 * reason. Requests to productpage only ever go to servers on 127.0.0.1 that
 * the tests start (the simulator's LoadBalancer addresses serve nothing).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import { type Config, parseConfig } from "../../lib/config/config.ts";
import { Kube } from "../../lib/kube/kube.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { Redactor } from "../../lib/output/redact.ts";
import { httpGet, productpageUrl } from "../../lib/checks/verify/http.ts";
import { runVerify, type VerifyOptions } from "../../lib/checks/verify/mod.ts";
import { meshProviderNames } from "../../lib/checks/verify/telemetry.ts";
import { eligibleNodes } from "../../lib/checks/verify/workloads.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import type { Rec } from "../sim/mod.ts";

// ---------------------------------------------------------------- helpers

async function withKube<T>(kubeconfig: string, fn: (kube: Kube) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "meshup-verify-" });
  // the in-process client: ztunnel's admin API is read through its port-forward
  const api = await KubeClient.fromKubeconfig({ path: kubeconfig });
  try {
    const kube = new Kube({
      api,
      proc: new DenoProcessRunner({
        binaries: await kubeBinaries(),
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfig },
      }),
      target: {},
      redactor: new Redactor(),
      retry: { baseMs: 10, maxAttempts: 2 },
    });
    return await fn(kube);
  } finally {
    api.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

function configFor(c: Cluster, env: Record<string, string> = {}): Config {
  return parseConfig(undefined, { env: { ...c.env, ...env } });
}

async function verify(
  c: Cluster,
  options: VerifyOptions & { env?: Record<string, string> } = {},
): Promise<CheckResult[]> {
  const { env, ...rest } = options;
  return await withKube(c.kubeconfig, (kube) => runVerify(kube, configFor(c, env), rest));
}

async function up(c: Cluster, env: Record<string, string> = {}): Promise<void> {
  const r = await c.run(["up"], { env });
  assertEquals(r.code, 0, `${r.err}\n${r.out.slice(-2000)}`);
}

function byId(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  assert(r, `no check "${id}" in ${results.map((x) => x.id).join(", ")}`);
  return r;
}

async function kubectl(c: Cluster, ...args: string[]): Promise<void> {
  const r = await c.tool(["kubectl", ...args]);
  assertEquals(r.code, 0, r.stderr);
}

/**
 * A server on 127.0.0.1 answering every request with `status`; records Host
 * headers. With `traffic`, each request is also one productpage request in
 * the simulator's ambient model (ztunnel's counters), as bookinfo's would be.
 */
async function withProductpage(
  status: number,
  fn: (address: string, hosts: string[]) => Promise<void>,
  traffic?: { sim: Cluster["sim"]; namespace?: string },
): Promise<void> {
  const hosts: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hosts.push(`${req.headers.get("host")} ${new URL(req.url).pathname}`);
    traffic?.sim.ambient.recordProductpageRequest(traffic.namespace);
    return new Response(status === 200 ? "<title>Simple Bookstore App</title>" : "no", { status });
  });
  try {
    await fn(`127.0.0.1:${server.addr.port}`, hosts);
  } finally {
    await server.shutdown();
  }
}

/** An address on 127.0.0.1 where nothing listens. */
function deadAddress(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `127.0.0.1:${port}`;
}

const PROMETHEUS_CRDS: Rec[] = [
  ["ServiceMonitor", "servicemonitors"],
  ["PodMonitor", "podmonitors"],
].map(([kind, plural]) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.monitoring.coreos.com` },
  spec: {
    group: "monitoring.coreos.com",
    scope: "Namespaced",
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    }],
  },
}));

const ALL_IDS = [
  "istiod",
  "istio-cni",
  "ztunnel",
  "gateway-address",
  "ambient-namespaces",
  "mesh-hbone",
  "bookinfo-gateway",
  "tracing-provider",
  "monitors",
  "kiali-cr",
  "kiali-server",
  "productpage",
  "mesh-mtls",
];

// ------------------------------------------------------- healthy install

Deno.test("verify passes every check after up, with productpage answering 200 for the bookinfo host", async () => {
  await withCluster(async (c) => {
    const env = { TELEMETRY_MONITORS: "on", BOOKINFO_HOST: "bookinfo.homelab.example.com" };
    c.sim.seed(PROMETHEUS_CRDS);
    await up(c, env);
    await withProductpage(200, async (address, hosts) => {
      const results = await verify(c, { env, address });
      assertEquals(results.map((r) => r.id), ALL_IDS);
      for (const r of results) assertEquals(r.status, "pass", `${r.id}: ${r.detail}`);
      // one request from productpage, one from mesh-mtls (between its two counter reads)
      assertEquals(hosts, [
        "bookinfo.homelab.example.com /productpage",
        "bookinfo.homelab.example.com /productpage",
      ]);
      assertEquals(
        byId(results, "ztunnel").detail,
        "DaemonSet istio-system/ztunnel ready on 1 of 1 schedulable node",
      );
      assertEquals(
        byId(results, "gateway-address").detail,
        "Service istio-ingress/istio-gateway has address 127.0.0.2",
      );
      assertMatch(
        byId(results, "bookinfo-gateway").detail,
        /selector istio=gateway matches 1 pod in istio-ingress \(istio-gateway-/,
      );
      assertStringIncludes(byId(results, "monitors").detail, "PodMonitor istio-system/ztunnel");
      assertMatch(
        byId(results, "productpage").detail,
        /^GET http:\/\/127\.0\.0\.1:\d+\/productpage \(Host: bookinfo\.homelab\.example\.com\): HTTP 200 in \d+ ms$/,
      );
    }, { sim: c.sim });
    // read-only
    const writes = c.sim.requests.list().filter((r) => r.method !== "GET");
    const before = writes.length;
    await withProductpage(200, (address) => verify(c, { env, address }).then(() => undefined));
    assertEquals(c.sim.requests.list().filter((r) => r.method !== "GET").length, before);
  }, { sim: { nodes: 1 } });
});

Deno.test("verify fails every check on an empty cluster without throwing", async () => {
  await withCluster(async (c) => {
    const results = await verify(c, { address: deadAddress(), timeoutMs: 2000 });
    assertEquals(results.map((r) => r.id), ALL_IDS);
    // monitors are auto and the CRDs are absent: skipped, so a pass
    for (const r of results.filter((r) => r.id !== "monitors")) {
      assertEquals(r.status, "fail", r.id);
      assert(r.hint, r.id);
    }
    assertEquals(
      byId(results, "tracing-provider").detail,
      "Telemetry istio-system/mesh-default not found",
    );
  });
});

// ------------------------------------------------------------- failures

Deno.test("verify fails the bookinfo gateway when its selector is upstream's istio=ingressgateway", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(
      c,
      "patch",
      "gateways.networking.istio.io",
      "bookinfo-gateway",
      "--namespace=book-info",
      "--type=merge",
      '--patch={"spec":{"selector":{"istio":"ingressgateway"}}}',
    );
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "bookinfo-gateway",
    );
    assertEquals(r.status, "fail");
    assertEquals(
      r.detail,
      "Gateway book-info/bookinfo-gateway selector istio=ingressgateway matches no pod in " +
        "istio-ingress; the gateway's pods have istio=gateway,app=istio-gateway",
    );
    assertStringIncludes(r.hint ?? "", "set the Gateway's selector to istio: gateway");
  });
});

Deno.test("verify fails ztunnel and istio-cni when a schedulable node has none of their pods", async () => {
  await withCluster(async (c) => {
    await up(c);
    const node = c.sim.get("v1", "Node", undefined, "sim-node-1");
    assert(node);
    // a new node the DaemonSets have not reached, and a tainted one they need not reach
    c.sim.seed([
      { ...node, metadata: { name: "sim-node-2", labels: node.metadata.labels } } as Rec,
      {
        ...node,
        metadata: { name: "sim-node-3", labels: node.metadata.labels },
        spec: { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] },
      } as Rec,
    ]);
    const results = await verify(c, { address: deadAddress(), timeoutMs: 1000 });
    for (const id of ["ztunnel", "istio-cni"]) {
      const r = byId(results, id);
      assertEquals(r.status, "fail", id);
      assertMatch(r.detail, /is scheduled on 1 of 2 schedulable nodes \(no pod on sim-node-2\)$/);
      assertStringIncludes(r.hint ?? "", "describe ds/");
    }
  });
});

Deno.test("verify fails a DaemonSet whose pods are not ready, naming the pod and why", async () => {
  await withCluster(async (c) => {
    await up(c);
    c.sim.faults.set({
      objects: [{
        kind: "DaemonSet",
        namespace: "istio-system",
        name: "ztunnel",
        fault: "crash-loop",
      }],
    });
    // a template change makes the controller roll the pods, into the fault
    await kubectl(
      c,
      "patch",
      "daemonset",
      "ztunnel",
      "--namespace=istio-system",
      "--type=merge",
      '--patch={"spec":{"template":{"metadata":{"annotations":{"test/restart":"1"}}}}}',
    );
    let r: CheckResult | undefined;
    for (let i = 0; i < 50; i++) {
      r = byId(await verify(c, { address: deadAddress(), timeoutMs: 1000 }), "ztunnel");
      if (r.status === "fail") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert(r);
    assertEquals(r.status, "fail");
    assertMatch(r.detail, /ready on 0 of 1 nodes: pod ztunnel-[a-z0-9-]+ CrashLoopBackOff/);
  });
});

Deno.test("verify fails a bookinfo namespace without the ambient label", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(c, "label", "namespace", "book-info", "istio.io/dataplane-mode-");
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "ambient-namespaces",
    );
    assertEquals(r.status, "fail");
    assertEquals(r.detail, "namespace book-info has no istio.io/dataplane-mode label");
    assertStringIncludes(r.hint ?? "", "istio.io/dataplane-mode=ambient");
  });
});

Deno.test("verify fails when the Telemetry resource names a provider istiod's meshConfig lacks", async () => {
  await withCluster(async (c) => {
    await up(c);
    await kubectl(
      c,
      "patch",
      "telemetries.telemetry.istio.io",
      "mesh-default",
      "--namespace=istio-system",
      "--type=json",
      '--patch=[{"op":"replace","path":"/spec/tracing/0/providers/0/name","value":"zipkin"}]',
    );
    const r = byId(
      await verify(c, { address: deadAddress(), timeoutMs: 1000 }),
      "tracing-provider",
    );
    assertEquals(r.status, "fail");
    assertEquals(
      r.detail,
      'Telemetry istio-system/mesh-default names provider "zipkin", but istiod\'s meshConfig ' +
        'defines "opentelemetry"',
    );
  });
});

Deno.test("verify fails a missing monitor when monitors are on, and a Kiali CR that reports a failure", async () => {
  await withCluster(async (c) => {
    const env = { TELEMETRY_MONITORS: "on" };
    c.sim.seed(PROMETHEUS_CRDS);
    await up(c, env);
    await kubectl(
      c,
      "delete",
      "podmonitors.monitoring.coreos.com",
      "ztunnel",
      "-n",
      "istio-system",
    );
    const cr = c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali");
    assert(cr);
    c.sim.seed({
      ...cr,
      status: {
        conditions: [
          { type: "Running", status: "False", reason: "Failed", message: "" },
          {
            type: "Failure",
            status: "True",
            reason: "Failed",
            message: "Cannot reach Prometheus at http://prometheus.monitoring:9090",
          },
        ],
      },
    } as Rec);
    const results = await verify(c, { env, address: deadAddress(), timeoutMs: 1000 });
    const monitors = byId(results, "monitors");
    assertEquals(monitors.status, "fail");
    assertEquals(monitors.detail, "PodMonitor istio-system/ztunnel not found");
    const kiali = byId(results, "kiali-cr");
    assertEquals(kiali.status, "fail");
    assertStringIncludes(kiali.detail, "Cannot reach Prometheus");
  });
});

/** Resolves once the simulator's Gateway has `Programmed` as `status`, or fails after 10 s. */
async function gatewayCondition(
  c: Cluster,
  name: string,
  status: string,
): Promise<Rec> {
  const deadline = AbortSignal.timeout(10_000);
  const done = (): Rec | undefined => {
    const gw = c.sim.get("gateway.networking.k8s.io/v1", "Gateway", "book-info", name);
    const conditions = ((gw?.status as Rec | undefined)?.conditions ?? []) as Rec[];
    return conditions.some((x) => x.type === "Programmed" && x.status === status)
      ? gw as Rec
      : undefined;
  };
  return await new Promise<Rec>((resolve, reject) => {
    const check = (): void => {
      const gw = done();
      if (gw) {
        unsubscribe();
        resolve(gw);
      }
    };
    const unsubscribe = c.sim.store.subscribe(check);
    deadline.addEventListener("abort", () => {
      unsubscribe();
      reject(new Error(`Gateway ${name} never had Programmed=${status}`));
    });
    check();
  });
}

Deno.test("verify passes the Kubernetes Gateway in the gateway-api flavour once istiod programmed it, and sends productpage to its address", async () => {
  await withCluster(async (c) => {
    const env = { BOOKINFO_FLAVOUR: "gateway-api" };
    await up(c, env);
    const gwObj = await gatewayCondition(c, "bookinfo-gateway", "True");
    const address = String(((gwObj.status as Rec).addresses as Rec[])[0].value);
    const results = await verify(c, { env, timeoutMs: 1000 });
    const gw = byId(results, "bookinfo-gateway");
    assertEquals(gw.status, "pass", gw.detail);
    assertStringIncludes(
      gw.detail,
      `(gateway.networking.k8s.io) is programmed with address ${address}`,
    );
    // istiod provisioned the Gateway's Service: productpage goes to its address
    assertStringIncludes(byId(results, "productpage").detail, `GET http://${address}/productpage`);
  });
});

Deno.test("verify fails a Gateway that no controller has programmed: the CRD's defaults say Pending", async () => {
  await withCluster(async (c) => {
    const env = { BOOKINFO_FLAVOUR: "gateway-api", KIALI_ENABLED: "false" };
    await up(c, env);
    const gw = byId(
      await verify(c, { env, address: deadAddress(), timeoutMs: 1000 }),
      "bookinfo-gateway",
    );
    assertEquals(gw.status, "fail");
    assertStringIncludes(
      gw.detail,
      "is not programmed: Programmed=Unknown (Pending: Waiting for controller)",
    );
    assertStringIncludes(gw.hint ?? "", "deploy/istiod");
  }, { sim: { operators: false } });
});

Deno.test("verify fails a Gateway whose Programmed condition is stale (observedGeneration older than generation)", async () => {
  await withCluster(async (c) => {
    const env = { BOOKINFO_FLAVOUR: "gateway-api", KIALI_ENABLED: "false" };
    await up(c, env);
    // a controller programmed generation 1, then stopped
    const gw = c.sim.get(
      "gateway.networking.k8s.io/v1",
      "Gateway",
      "book-info",
      "bookinfo-gateway",
    );
    assert(gw);
    const type = c.sim.api.typeOf(gw);
    assert(type);
    const programmed = { status: "True", observedGeneration: gw.metadata.generation };
    c.sim.api.writeStatus(type, gw, {
      conditions: [
        { type: "Accepted", reason: "Accepted", message: "", ...programmed },
        { type: "Programmed", reason: "Programmed", message: "", ...programmed },
      ],
      addresses: [{ type: "IPAddress", value: "127.0.0.9" }],
    });
    const before = byId(
      await verify(c, { env, address: deadAddress(), timeoutMs: 1000 }),
      "bookinfo-gateway",
    );
    assertEquals(before.status, "pass", before.detail);
    await kubectl(
      c,
      "patch",
      "gateways.gateway.networking.k8s.io",
      "bookinfo-gateway",
      "--namespace=book-info",
      "--type=merge",
      '--patch={"spec":{"listeners":[{"name":"http","port":8080,"protocol":"HTTP"}]}}',
    );
    const after = byId(
      await verify(c, { env, address: deadAddress(), timeoutMs: 1000 }),
      "bookinfo-gateway",
    );
    assertEquals(after.status, "fail");
    assertStringIncludes(
      after.detail,
      "its Programmed condition is stale (observedGeneration 1, generation 2)",
    );
  }, { sim: { operators: false } });
});

Deno.test("verify fails a Kiali CR the operator is still reconciling, or never reported on", async () => {
  await withCluster(async (c) => {
    await up(c);
    const cr = c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali");
    assert(cr);
    const conditions = ((cr.status as Rec | undefined)?.conditions ?? []) as Rec[];
    // the simulator plays kiali-operator's own conditions
    assert(
      conditions.some((x) => x.type === "Successful" && x.status === "True"),
      JSON.stringify(cr.status),
    );
    const type = c.sim.api.typeOf(cr);
    assert(type);
    c.sim.api.writeStatus(type, cr, {
      conditions: [{
        type: "Running",
        status: "True",
        reason: "Running",
        message: "Running reconciliation",
      }],
    });
    const running = byId(await verify(c, { address: deadAddress(), timeoutMs: 1000 }), "kiali-cr");
    assertEquals(running.status, "fail");
    assertStringIncludes(running.detail, "the operator is reconciling it now");
    c.sim.api.writeStatus(type, c.sim.get("kiali.io/v1alpha1", "Kiali", "kiali", "kiali")!, {});
    const silent = byId(await verify(c, { address: deadAddress(), timeoutMs: 1000 }), "kiali-cr");
    assertEquals(silent.status, "fail");
    assertStringIncludes(silent.detail, "the operator has reported nothing on it");
    assertStringIncludes(silent.hint ?? "", "deploy/kiali-operator");
  });
});

// ----------------------------------------------------------- productpage

Deno.test("verify fails productpage with the status code when the gateway answers 503", async () => {
  await withCluster(async (c) => {
    await withProductpage(503, async (address) => {
      const r = byId(await verify(c, { address }), "productpage");
      assertEquals(r.status, "fail");
      assertMatch(r.detail, /^GET http:\/\/127\.0\.0\.1:\d+\/productpage: HTTP 503, want 200$/);
      assertStringIncludes(r.hint ?? "", "no healthy backend");
    });
  });
});

Deno.test("verify fails productpage with connection refused when nothing listens", async () => {
  await withCluster(async (c) => {
    const r = byId(await verify(c, { address: deadAddress() }), "productpage");
    assertEquals(r.status, "fail");
    assertMatch(r.detail, /^GET http:\/\/127\.0\.0\.1:\d+\/productpage: connection refused$/);
  });
});

Deno.test("verify fails productpage with a timeout when the gateway never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* listener closed */ }
  })();
  try {
    await withCluster(async (c) => {
      const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
      const started = Date.now();
      const r = byId(await verify(c, { address, timeoutMs: 300 }), "productpage");
      assertEquals(r.status, "fail");
      assertMatch(r.detail, /productpage: no answer within 0\.3s$/);
      assert(Date.now() - started < 5000);
    });
  } finally {
    listener.close();
    await accepting;
    for (const conn of held) conn.close();
  }
});

Deno.test("verify hands the URL and Host header to an injected fetch", async () => {
  await withCluster(async (c) => {
    const seen: string[] = [];
    const fake: typeof fetch = (input, init) => {
      seen.push(`${String(input)} ${new Headers(init?.headers).get("host")}`);
      return Promise.resolve(new Response("ok"));
    };
    const r = byId(
      await verify(c, {
        fetch: fake,
        address: "127.0.0.1:8080",
        env: { BOOKINFO_HOST: "books.example.com" },
      }),
      "productpage",
    );
    assertEquals(r.status, "pass");
    assertEquals(seen, ["http://127.0.0.1:8080/productpage books.example.com"]);
  });
});

// ------------------------------------------------------------------- pure

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
