/**
 * A release on the longest chain starts its helm process alone: the
 * background tasks that start with it (gateway, telemetry and the Kiali
 * operator beside ztunnel, istio-cni beside istiod) begin once its
 * workloads exist.
 */
import { assert, assertEquals } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { PRESTART_QUIET_MS } from "../../lib/run/services.ts";
import { STARTUP_WAIT_MS } from "../../lib/run/startup_gate.ts";

Deno.test("up starts background helm releases after the foreground release has applied its workloads", async () => {
  await withCluster(async (c) => {
    const created = new Map<string, number>();
    const unsubscribe = c.sim.store.subscribe((e) => {
      const key = `${e.object.kind}/${e.object.metadata.name}`;
      if (e.type === "ADDED" && !created.has(key)) created.set(key, Date.now());
    });
    const r = await c.run(["up"], { env: { KIALI_ENABLED: "true" } });
    unsubscribe();
    assertEquals(r.code, 0, r.err);
    const helmAt = (task: string): number => {
      const cmd = r.events.find((e): e is Extract<RunEvent, { type: "cmd" }> =>
        e.type === "cmd" && e.task === task && e.argv[0] === "helm"
      );
      assert(cmd, `a helm command of ${task}`);
      return Date.parse(cmd.time);
    };
    const ztunnel = created.get("DaemonSet/ztunnel");
    const istiod = created.get("Deployment/istiod");
    assert(ztunnel && istiod, "ztunnel and istiod were created");
    // a background task waits for the start-up, from its own start, for a bounded time
    const waited = (at: number, task: string, startUp: number, what: string): void => {
      const began = r.events.find((e) => e.type === "task-start" && e.task === task);
      assert(began, `${task} started`);
      const until = Math.min(startUp, Date.parse(began.time) + STARTUP_WAIT_MS);
      assert(at >= until, `${what}: it began ${until - at} ms before the start-up's end or bound`);
    };
    waited(helmAt("gateway"), "gateway", ztunnel, "gateway's helm waited for ztunnel's DaemonSet");
    waited(helmAt("kiali"), "kiali", ztunnel, "the Kiali operator's helm waited for ztunnel");
    waited(helmAt("istio:cni"), "istio:cni", istiod, "istio-cni's helm waited for istiod");
    assert(helmAt("istio:ztunnel") < ztunnel, "the foreground release did not wait");
    // a background task without helm waits too: its reads and applies take CPU as well
    const telemetry = r.events.find((e) => e.type === "step-start" && e.task === "telemetry");
    assert(telemetry, "telemetry ran");
    waited(
      Date.parse(telemetry.time),
      "telemetry",
      ztunnel,
      "telemetry's first step waited for ztunnel's DaemonSet",
    );
  }, {
    // istiod takes longest, so that ztunnel, gateway and Kiali start together (istio-cni, which
    // ztunnel also needs, is done well before, even on a loaded machine)
    sim: { readyDelay: (o) => o.kind === "Deployment" && o.metadata.name === "istiod" ? 1500 : 30 },
  });
});

const gateOf = (argv: string[]): string | undefined =>
  argv.find((a) => /-gate-[0-9a-f]{8}\.yaml$/.test(a));

Deno.test("up starts the next release on the longest chain early, held at a gate it opens when the step acts", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["up"], { env: { KIALI_ENABLED: "false" } });
    assertEquals(r.code, 0, r.err);
    const helm = r.spawned.filter((a) => a[0] === "helm" && a[1] === "upgrade");
    const early = helm.filter((a) => gateOf(a)).map((a) => a[3]);
    // istiod while base installs, ztunnel while istiod becomes ready
    assert(early.includes("istiod") && early.includes("ztunnel"), JSON.stringify(early));
    assert(!early.includes("istio-gateway"), "a background release is never started early");
    assertEquals(helm.length, new Set(helm.map((a) => a[3])).size, "one process a release");
    // the command shown is the one that ran; its gate is left a plain file holding what it gave
    const shown = r.events.filter((e): e is Extract<RunEvent, { type: "cmd" }> =>
      e.type === "cmd" && e.argv[0] === "helm"
    ).map((e) => e.argv.join(" "));
    for (const a of helm) {
      assert(shown.includes(a.join(" ")), a.join(" "));
      const gate = gateOf(a);
      if (gate) assertEquals(await Deno.readTextFile(gate), "{}\n", gate);
    }
  });
});

Deno.test("a release started early waits for the foreground release's start-up before its process starts", async () => {
  await withCluster(async (c) => {
    let istiod = 0;
    const unsubscribe = c.sim.store.subscribe((e) => {
      if (e.object.kind === "Deployment" && e.object.metadata.name === "istiod") {
        istiod ||= Date.now();
      }
    });
    const r = await c.run(["up"], { env: { KIALI_ENABLED: "false" } });
    unsubscribe();
    assertEquals(r.code, 0, r.err);
    const ztunnel = r.spawned.find((a) => a[0] === "helm" && a[3] === "ztunnel");
    assert(ztunnel && gateOf(ztunnel), "ztunnel was started early");
    // its first read of the cluster: the release's history
    const [history] = c.sim.requests.list({
      userAgent: /^Helm/,
      path: /\/secrets$/,
      query: /name%3Dztunnel/,
    });
    assert(history && istiod, "ztunnel's helm read its history; istiod was created");
    // it waits for istiod's start-up, which begins with istiod's task, for a bounded time
    const began = r.events.find((e) => e.type === "task-start" && e.task === "istio:istiod");
    assert(began, "istiod's task started");
    const waitedUntil = Math.min(istiod, Date.parse(began.time) + PRESTART_QUIET_MS);
    assert(
      Date.parse(history.time) >= waitedUntil,
      `ztunnel's helm started ${
        waitedUntil - Date.parse(history.time)
      } ms before istiod's Deployment existed and before its wait's bound`,
    );
  }, {
    sim: { readyDelay: (o) => o.kind === "Deployment" && o.metadata.name === "istiod" ? 400 : 30 },
  });
});

Deno.test("a release started early is stopped, having changed nothing, when a step before it fails", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["up", "--timeout", "2s"], { env: { KIALI_ENABLED: "false" } });
    assert(r.code !== 0, "istiod never becomes ready");
    const ztunnel = r.spawned.find((a) => a[0] === "helm" && a[3] === "ztunnel");
    assert(ztunnel && gateOf(ztunnel), "ztunnel was started early");
    assertEquals(c.sim.get("apps/v1", "DaemonSet", "istio-system", "ztunnel"), undefined);
    const secrets = c.sim.list("v1", "Secret", "istio-system").map((s) => s.metadata.name);
    assert(!secrets.some((n) => n?.startsWith("sh.helm.release.v1.ztunnel.")), String(secrets));
    assertEquals(await Deno.lstat(gateOf(ztunnel)!).then(() => true, () => false), false);
    const stopped = r.events.find((e) =>
      e.type === "log" && e.task === "istio:ztunnel" && e.message.startsWith("Stopped helm upgrade")
    );
    assert(stopped, "the stopped process is told");
  }, {
    sim: {
      readyDelay: (o) => o.kind === "Deployment" && o.metadata.name === "istiod" ? 60_000 : 30,
    },
  });
});
