/**
 * `verify` against the simulated API server after `up`, with the real
 * kubectl and helm: every check passing, and each failing for its own
 * reason. Requests to productpage only ever go to servers on 127.0.0.1 that
 * the tests start (the simulator's LoadBalancer addresses serve nothing).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import {
  ALL_IDS,
  byId,
  deadAddress,
  PROMETHEUS_CRDS,
  up,
  verify,
  withProductpage,
} from "./_verify.ts";

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
