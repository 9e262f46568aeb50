/** `doctor` and `verify` through the CLI, against the simulator. */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";

Deno.test("doctor and verify run from the CLI, print their checks and exit by their results", async () => {
  await withCluster(async (c) => {
    const doctor = await c.run(["doctor"], { json: false });
    assertStringIncludes(doctor.out, "k8s version");
    assertStringIncludes(doctor.out, "doctor:");
    assertEquals(doctor.code, 0, doctor.out);
    const up = await c.run(["up"]);
    assertEquals(up.code, 0, up.err);
    // a loopback stand-in for productpage behind the gateway address; each request is one
    // productpage request in the simulator's ambient model (ztunnel's counters, for mesh-mtls)
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => {
        if (new URL(req.url).pathname !== "/productpage") return new Response("", { status: 404 });
        c.sim.ambient.recordProductpageRequest();
        return new Response("<title>Simple Bookstore App</title>");
      },
    );
    try {
      const address = `127.0.0.1:${server.addr.port}`;
      const ok = await c.run(["verify", "--address", address]);
      assertEquals(ok.code, 0, ok.out);
      const report = JSON.parse(ok.out.trim().split("\n").at(-1)!);
      assertEquals(report.type, "verify");
      assertEquals(report.ok, true);
      assertEquals(
        report.checks.find((r: { id: string }) => r.id === "productpage").status,
        "pass",
      );
      await c.tool([
        "kubectl",
        "patch",
        "gateway.networking.istio.io",
        "bookinfo-gateway",
        "-n",
        "book-info",
        "--type=merge",
        "-p",
        '{"spec":{"selector":{"istio":"ingressgateway"}}}',
      ]);
      const bad = await c.run(["verify", "--address", address], { json: false });
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.out, "istio=ingressgateway");
    } finally {
      await server.shutdown();
    }
  });
});
