/**
 * The mesh checks of `verify` against the simulator after `up`, with the
 * real kubectl and helm: `mesh-hbone` reads istio-cni's capture and
 * ztunnel's config_dump through a port-forward, `mesh-mtls` the growth of
 * ztunnel's mutual_tls counters around a productpage request. The
 * productpage stand-in is a server on 127.0.0.1; with `traffic` it tells the
 * simulator's ambient model that bookinfo served a request (the simulator
 * runs no workload, so connections are counted, not made).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import { parseConfig } from "../../lib/config/config.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { Kube } from "../../lib/kube/kube.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { Redactor } from "../../lib/output/redact.ts";
import { runVerify } from "../../lib/checks/verify/mod.ts";
import { parseConfigDump, parsePrometheus } from "../../lib/checks/verify/_ztunnel.ts";
import { kubeBinaries } from "../sim/binaries.ts";

/** Kiali plays no part in the mesh checks. */
const ENV = { KIALI_ENABLED: "false" };

async function meshChecks(
  c: Cluster,
  options: { traffic?: boolean; commands?: string[][]; inProcess?: boolean } = {},
): Promise<{ hbone: CheckResult; mtls: CheckResult }> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    if (options.traffic ?? true) c.sim.ambient.recordProductpageRequest();
    return new Response("<title>Simple Bookstore App</title>");
  });
  const api = await KubeClient.fromKubeconfig({ path: c.kubeconfig });
  const home = await Deno.makeTempDir({ prefix: "meshup-mesh-" });
  try {
    const kube = new Kube({
      // without the in-process client, reads and the port-forward are kubectl's
      ...(options.inProcess ?? true ? { api } : {}),
      proc: new DenoProcessRunner({
        binaries: await kubeBinaries(),
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: home,
          KUBECONFIG: c.kubeconfig,
        },
      }),
      target: {},
      redactor: new Redactor(),
      retry: { baseMs: 10, maxAttempts: 2 },
    });
    const results = await runVerify(kube, parseConfig(undefined, { env: { ...c.env, ...ENV } }), {
      address: `127.0.0.1:${server.addr.port}`,
      hooks: { onCommand: (argv) => options.commands?.push(argv) },
    });
    const byId = (id: string): CheckResult => {
      const r = results.find((x) => x.id === id);
      assert(r, `no check ${id}`);
      return r;
    };
    return { hbone: byId("mesh-hbone"), mtls: byId("mesh-mtls") };
  } finally {
    api.close();
    await server.shutdown();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

async function up(c: Cluster): Promise<void> {
  const r = await c.run(["up"], { env: ENV });
  assertEquals(r.code, 0, `${r.err}\n${r.out.slice(-2000)}`);
}

function podOf(c: Cluster, prefix: string): { namespace: string; name: string } {
  const pod = c.sim.list("v1", "Pod").find((p) => p.metadata.name?.startsWith(prefix));
  assert(pod, `no pod ${prefix}`);
  return { namespace: pod.metadata.namespace!, name: pod.metadata.name! };
}

Deno.test("mesh checks pass on a healthy install, reading config_dump through a port-forward shown as a command", async () => {
  await withCluster(async (c) => {
    await up(c);
    const commands: string[][] = [];
    const { hbone, mtls } = await meshChecks(c, { commands });
    assertEquals(hbone.status, "pass", hbone.detail);
    assertMatch(hbone.detail, /^3 pods in book-info captured and on HBONE in ztunnel$/);
    const rows = hbone.table ?? [];
    assertEquals(rows.map((r) => r.protocol), ["HBONE", "HBONE", "HBONE"]);
    assert(rows.every((r) => r.namespace === "book-info" && r.node === "sim-node-1"));
    assertEquals(mtls.status, "pass", mtls.detail);
    assertStringIncludes(
      mtls.detail,
      "mutual_tls productpage -> details +1, productpage -> reviews +1",
    );
    const pf = commands.find((a) => a[0] === "port-forward");
    assert(pf, JSON.stringify(commands));
    assertMatch(pf.join(" "), /^port-forward -n istio-system pod\/ztunnel-\S+ 15000 /);
    const annotations = c.sim.get(
      "v1",
      "Pod",
      podOf(c, "details-v1").namespace,
      podOf(c, "details-v1").name,
    )
      ?.metadata.annotations;
    assertEquals(annotations?.["ambient.istio.io/redirection"], "enabled");
  });
});

Deno.test("mesh-hbone reads config_dump through kubectl port-forward when the in-process client is off", async () => {
  await withCluster(async (c) => {
    await up(c);
    const commands: string[][] = [];
    const { hbone, mtls } = await meshChecks(c, { commands, inProcess: false });
    assertEquals(hbone.status, "pass", hbone.detail);
    assertMatch(hbone.detail, /^3 pods in book-info captured and on HBONE in ztunnel$/);
    assertEquals(mtls.status, "pass", mtls.detail);
    const pf = commands.find((a) => a[0] === "kubectl" && a[1] === "port-forward");
    assert(pf, JSON.stringify(commands));
    assertMatch(
      pf.join(" "),
      /^kubectl port-forward -n istio-system pod\/ztunnel-\S+ :15000 --address 127\.0\.0\.1 .*\(then GET \/config_dump\)$/,
    );
    // the real kubectl's tunnel, answered by the simulator
    assert(
      c.sim.requests.count({
        path: /\/pods\/ztunnel-[^/]+\/portforward$/,
        userAgent: /^kubectl/,
      }) >= 1,
    );
  });
});

Deno.test("mesh-hbone fails naming the workload when istio-cni did not capture a pod, ztunnel sees it in plaintext, or does not know it", async () => {
  await withCluster(async (c) => {
    await up(c);
    const details = podOf(c, "details-v1");
    const reviews = podOf(c, "reviews-v1");
    const product = podOf(c, "productpage-v1");
    c.sim.ambient.faults.uncaptured.add(`${details.namespace}/${details.name}`);
    c.sim.ambient.faults.plaintext.add(`${reviews.namespace}/${reviews.name}`);
    c.sim.ambient.faults.unknown.add(`${product.namespace}/${product.name}`);
    c.sim.ambient.reconcile();
    const { hbone, mtls } = await meshChecks(c);
    assertEquals(hbone.status, "fail");
    assertStringIncludes(hbone.detail, "3 of 3 pods not on HBONE");
    assertStringIncludes(hbone.detail, `book-info/${details.name}: not captured by istio-cni`);
    assertStringIncludes(hbone.detail, `book-info/${reviews.name}: plaintext in ztunnel`);
    assertStringIncludes(hbone.detail, `book-info/${product.name}: unknown to ztunnel`);
    assertStringIncludes(hbone.hint ?? "", "logs ds/istio-cni-node");
    assertEquals(mtls.status, "fail");
  });
});

Deno.test("mesh checks fail naming the label fix when bookinfo's namespace leaves ambient", async () => {
  await withCluster(async (c) => {
    await up(c);
    const r = await c.tool([
      "kubectl",
      "label",
      "namespace",
      "book-info",
      "istio.io/dataplane-mode-",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const { hbone, mtls } = await meshChecks(c);
    assertEquals(hbone.status, "fail");
    assertMatch(hbone.detail, /book-info\/productpage-v1-\S+: namespace book-info is not labelled/);
    assertEquals(hbone.hint, "kubectl label namespace book-info istio.io/dataplane-mode=ambient");
    // istio-cni removed the capture: the connections were counted in plaintext
    assertEquals(mtls.status, "fail");
    assertStringIncludes(mtls.detail, "grew without mutual_tls (plaintext)");
  });
});

Deno.test("mesh-mtls fails when ztunnel's counters do not grow around the productpage request", async () => {
  await withCluster(async (c) => {
    await up(c);
    const { hbone, mtls } = await meshChecks(c, { traffic: false });
    assertEquals(hbone.status, "pass", hbone.detail);
    assertEquals(mtls.status, "fail");
    assertStringIncludes(
      mtls.detail,
      "no new mutual_tls connection for productpage -> details, productpage -> reviews",
    );
  });
});

Deno.test("the simulator refuses ztunnel's admin port through the pod proxy, as a cluster does, and serves its metrics", async () => {
  await withCluster(async (c) => {
    await up(c);
    const zt = podOf(c, "ztunnel-");
    const refused = await c.tool([
      "kubectl",
      "get",
      "--raw",
      `/api/v1/namespaces/istio-system/pods/${zt.name}:15000/proxy/config_dump`,
    ]);
    assert(refused.code !== 0);
    assertStringIncludes(refused.stderr, "connect: connection refused");
    c.sim.ambient.recordProductpageRequest("book-info");
    const metrics = await c.tool([
      "kubectl",
      "get",
      "--raw",
      `/api/v1/namespaces/istio-system/pods/${zt.name}:15020/proxy/stats/prometheus`,
    ]);
    assertEquals(metrics.code, 0, metrics.stderr);
    const samples = parsePrometheus(metrics.stdout, "istio_tcp_connections_opened_total");
    assert(
      samples.some((s) =>
        s.labels.connection_security_policy === "mutual_tls" &&
        s.labels.source_workload === "productpage-v1" &&
        s.labels.destination_workload === "details-v1" && s.value === 1
      ),
      metrics.stdout,
    );
  });
});

Deno.test("parseConfigDump() reads ztunnel's workload list and its older map by uid", () => {
  const w = { name: "p", namespace: "n", workloadName: "p", protocol: "HBONE", node: "x" };
  assertEquals(parseConfigDump(JSON.stringify({ workloads: [w] })), [w]);
  assertEquals(
    parseConfigDump(
      JSON.stringify({
        workloads: { "uid": { ...w, waypoint: { destination: "n/10.0.0.9" } } },
      }),
    ),
    [{ ...w, waypoint: "n/10.0.0.9" }],
  );
});

// ---------------------------------------------------------------- --strict
