import { assertEquals } from "../_assert.ts";
import { call, withSim } from "./_calls.ts";
import { helmReleaseSecret } from "./mod.ts";
import type { Rec } from "./object.ts";

Deno.test("request faults fire N times with Retry-After, and the request log counts requests", async () => {
  await withSim(async (sim) => {
    sim.faults.set({
      requests: [{
        method: "GET",
        path: "^/api/v1/namespaces$",
        status: 429,
        retryAfter: 1,
        times: 1,
      }],
    });
    const first = await call(sim, "GET", "/api/v1/namespaces");
    assertEquals([first.status, first.json.reason, first.headers.get("retry-after")], [
      429,
      "TooManyRequests",
      "1",
    ]);
    assertEquals((await call(sim, "GET", "/api/v1/namespaces")).status, 200);
    assertEquals(sim.requests.count({ method: "GET", path: /^\/api\/v1\/namespaces$/ }), 2);
    assertEquals(sim.requests.count({ status: 429 }), 1);
    const log = await (await fetch(`${sim.url}/__sim/requests`)).json();
    assertEquals(log.length, 2);
    const counted = await (await fetch(`${sim.url}/__sim/requests/count?method=GET&status=429`))
      .json();
    assertEquals(counted, { count: 1 });
    await (await fetch(`${sim.url}/__sim/reset-log`, { method: "POST" })).body?.cancel();
    assertEquals(sim.requests.count(), 0);
  });
});

Deno.test("POST /__sim/faults replaces faults and seeds objects, such as a pending-install release", async () => {
  await withSim(async (sim) => {
    const secret = await helmReleaseSecret({
      name: "stuck",
      namespace: "apps",
      status: "pending-install",
    });
    const res = await fetch(`${sim.url}/__sim/faults`, {
      method: "POST",
      body: JSON.stringify({ requests: [{ path: "^/version$", status: 500 }], seed: [secret] }),
    });
    assertEquals((await res.json()).seeded, 1);
    assertEquals((await call(sim, "GET", "/version")).status, 500);
    assertEquals(sim.list("v1", "Secret", "apps").length, 1);
    const bad = await fetch(`${sim.url}/__sim/faults`, {
      method: "POST",
      body: JSON.stringify({ requests: [{}] }),
    });
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("SelfSubjectAccessReviews are allowed unless a fault denies them", async () => {
  await withSim(async (sim) => {
    const review = (verb: string): Rec => ({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { verb, resource: "pods", namespace: "default" } },
    });
    const path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    assertEquals(((await call(sim, "POST", path, review("get"))).json.status as Rec).allowed, true);
    assertEquals(
      ((await call(sim, "POST", path, review("delete"))).json.status as Rec).allowed,
      false,
    );
  }, { faults: { accessReviews: [{ verb: "delete", allowed: false, reason: "no" }] } });
});
