/**
 * `plan` with a cluster that answers: besides the plan, what the run would
 * prune and which releases it would upgrade; without one, the plan alone.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";

Deno.test("plan names what a flavour switch would prune and the releases a version change upgrades", async () => {
  await withCluster(async (c) => {
    const up = await c.run(["up"]);
    assertEquals(up.code, 0, up.err);
    const plan = await c.run(["plan"], {
      json: false,
      env: { BOOKINFO_FLAVOUR: "gateway-api", ISTIO_VERSION: "1.30.4" },
    });
    assertEquals(plan.code, 0, plan.err);
    assertStringIncludes(plan.out, "prune (at the end, once the new objects are ready):");
    assertStringIncludes(plan.out, "networking.istio.io/Gateway/book-info/bookinfo-gateway");
    assertStringIncludes(plan.out, "networking.istio.io/VirtualService/book-info/bookinfo");
    assertStringIncludes(plan.out, "upgrade istiod 1.30.3 → 1.30.4");
    assertStringIncludes(plan.out, '(read from context "sim"');
    assertEquals(plan.spawned, [], "plan starts no process");
  });
});

Deno.test("plan describes the plan alone when the cluster does not answer", async () => {
  await withCluster(async (c) => {
    const dir = await Deno.makeTempDir();
    const kubeconfig = `${dir}/dead.yaml`;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close(); // nothing listens there now
    await Deno.writeTextFile(
      kubeconfig,
      (await Deno.readTextFile(c.kubeconfig)).replace(
        /http:\/\/127\.0\.0\.1:\d+/,
        `http://127.0.0.1:${port}`,
      ),
    );
    const plan = await c.run(["plan"], { json: false, env: { KUBECONFIG: kubeconfig } });
    assertEquals(plan.code, 0, plan.err);
    assertStringIncludes(plan.out, 'Plan for "up"');
    assertStringIncludes(plan.out, "(the cluster was not read:");
    assert(!plan.out.includes("prune ("));
    await Deno.remove(dir, { recursive: true });
  });
});
