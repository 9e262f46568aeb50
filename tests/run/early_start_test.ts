/**
 * A run begins before its manifests are fetched: the releases read and the
 * first release's helm process (held at its gate) go out while bookinfo is
 * downloaded; a manifest that cannot be fetched stops that process having
 * changed nothing, and a missing secret starts nothing at all.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { REPO, withCluster } from "../_cluster.ts";
import { until } from "../sim/_tools.ts";
import type { Sim } from "../sim/mod.ts";

const gateOf = (argv: string[]): string | undefined =>
  argv.find((a) => /-gate-[0-9a-f]{8}\.yaml$/.test(a));

/** Whether istio-base's helm has read its release history (its first request). */
const baseHelmStarted = (sim: Sim): boolean =>
  sim.requests.list({ userAgent: /^Helm/, path: /\/secrets$/, query: /name%3Distio-base/ })
    .length > 0;

/** Bookinfo from its default URL: answered from the fixture once `ready()` holds, else failed. */
function slowBookinfo(ready: () => boolean, fail = false) {
  const seen: boolean[] = [];
  return {
    seen,
    async fetchText(url: string): Promise<string> {
      // bounded: without the early start, helm would only start after this returns
      seen.push(await until(ready, 10_000));
      if (fail) throw new Error("HTTP 503");
      const m = /\/samples\/bookinfo\/(.+)$/.exec(url);
      if (!m) throw new Error(`unexpected fetch of ${url}`);
      return await Deno.readTextFile(`${REPO}/tests/fixtures/bookinfo/${m[1]}`);
    },
  };
}

Deno.test("up starts the first release's helm, held at its gate, while bookinfo is still being fetched", async () => {
  await withCluster(async (c) => {
    const bookinfo = slowBookinfo(() => baseHelmStarted(c.sim));
    const r = await c.run(["up"], {
      env: { KIALI_ENABLED: "false", BOOKINFO_SOURCE: "" },
      fetchText: bookinfo.fetchText,
    });
    assertEquals(r.code, 0, r.err);
    assert(bookinfo.seen.length > 0 && bookinfo.seen.every((s) => s), String(bookinfo.seen));
    const base = r.spawned.filter((a) => a[0] === "helm" && a[3] === "istio-base");
    assertEquals(base.length, 1, "one process for istio-base: the one started early");
    assert(gateOf(base[0]), base[0].join(" "));
    // its command is announced when its step acts, after the plan
    const plan = r.events.findIndex((e) => e.type === "plan");
    const cmd = r.events.findIndex((e) => e.type === "cmd" && e.task === "istio:base");
    assert(plan >= 0 && cmd > plan, `plan at ${plan}, istio:base's command at ${cmd}`);
  });
});

Deno.test("a manifest that cannot be fetched stops the early helm: exit 2, nothing changed, and it says so", async () => {
  await withCluster(async (c) => {
    const bookinfo = slowBookinfo(() => baseHelmStarted(c.sim), true);
    const r = await c.run(["up"], {
      env: { KIALI_ENABLED: "false", BOOKINFO_SOURCE: "" },
      fetchText: bookinfo.fetchText,
    });
    assertEquals(r.code, 2, r.err);
    assertStringIncludes(r.err, "Cannot fetch manifest");
    assertEquals(bookinfo.seen[0], true, "istio-base's helm had started");
    const base = r.spawned.find((a) => a[0] === "helm" && a[3] === "istio-base");
    assert(base && gateOf(base), "istio-base's helm was started early");
    assertEquals(await Deno.lstat(gateOf(base)!).then(() => true, () => false), false);
    assertEquals(
      c.sim.requests.count({ method: "POST" }) + c.sim.requests.count({ method: "PATCH" }) +
        c.sim.requests.count({ method: "PUT" }),
      0,
      "nothing was written",
    );
    const stopped = r.events.find((e) =>
      e.type === "log" && e.task === "istio:base" && e.message.startsWith("Stopped helm upgrade")
    );
    assert(stopped, "the stopped process is told");
  });
});

Deno.test("a missing secret exits 2 before any process starts", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["up"], {
      env: {
        KIALI_AUTH: "openid",
        KIALI_ISSUER_URI: "https://sso.homelab.example.com/realms/x",
      },
    });
    assertEquals(r.code, 2, r.err);
    assertStringIncludes(r.err, "KIALI_OIDC_CLIENT_SECRET is not set");
    assertEquals(r.spawned, []);
  });
});
