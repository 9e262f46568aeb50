/**
 * `verify` reads status, never existence: a Kubernetes Gateway passes once
 * programmed and fails while Pending or stale; a Kiali CR fails while its
 * operator reconciles it or has never reported on it.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { Rec } from "../sim/mod.ts";
import { byId, deadAddress, kubectl, up, verify } from "./_verify.ts";

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
