/**
 * Istio upgrades in place and `--force`'s scope, against the simulator with
 * the real kubectl and helm: stand-in charts packaged at other versions
 * (`helm package --version`, tests/fixtures/charts/README.md) in a local
 * charts folder, bookinfo from its default source (the Istio release's tag)
 * served by an injected fetch.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, countCmd, REPO, withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";

const ISTIO = ["base", "cni", "istiod", "ztunnel", "gateway"];

/** A charts folder holding every Istio stand-in at each version. */
async function chartsAt(c: Cluster, versions: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "upgrade-charts-" });
  for (const version of versions) {
    for (const chart of ISTIO) {
      const r = await c.tool([
        "helm",
        "package",
        `${REPO}/tests/fixtures/charts/${chart}`,
        "--version",
        version,
        "--destination",
        dir,
      ]);
      assertEquals(r.code, 0, r.stderr);
    }
  }
  return dir;
}

/** Bookinfo from Istio's tag: the fixture's bytes, and the URLs asked for. */
function bookinfoFetch(): { fetchText(url: string): Promise<string>; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetchText(url: string): Promise<string> {
      urls.push(url);
      const m =
        /^https:\/\/raw\.githubusercontent\.com\/istio\/istio\/[^/]+\/samples\/bookinfo\/(.+)$/
          .exec(url);
      if (!m) return Promise.reject(new Error(`unexpected fetch of ${url}`));
      return Deno.readTextFile(`${REPO}/tests/fixtures/bookinfo/${m[1]}`);
    },
  };
}

function index(events: RunEvent[], type: "task-start" | "task-done", task: string): number {
  const i = events.findIndex((e) => e.type === type && "task" in e && e.task === task);
  assert(i >= 0, `no ${type} for ${task}`);
  return i;
}

function logs(events: RunEvent[], level: "info" | "warn"): string[] {
  return events.flatMap((e) => e.type === "log" && e.level === level ? [e.message] : []);
}

const ORDER = ["istio:base", "istio:istiod", "istio:cni", "istio:ztunnel", "gateway", "bookinfo"];

Deno.test("a patch upgrade runs base, istiod, cni, ztunnel, gateway and bookinfo one after another, ztunnel node by node", async () => {
  await withCluster(async (c) => {
    const charts = await chartsAt(c, ["1.30.2", "1.30.3"]);
    try {
      const bookinfo = bookinfoFetch();
      const env = { ISTIO_CHARTS: charts, BOOKINFO_SOURCE: "" };
      const fresh = await c.run(["up"], {
        env: { ...env, ISTIO_VERSION: "1.30.2" },
        fetchText: bookinfo.fetchText,
      });
      assertEquals(fresh.code, 0, fresh.err);
      // a fresh install keeps istio:cni and istio:istiod side by side
      const e0 = fresh.events;
      assert(index(e0, "task-start", "istio:cni") < index(e0, "task-done", "istio:istiod"));
      assert(index(e0, "task-start", "istio:istiod") < index(e0, "task-done", "istio:cni"));
      assertEquals(logs(e0, "info").filter((m) => m.startsWith("upgrade ")), []);
      assert(bookinfo.urls.every((u) => u.includes("/istio/istio/1.30.2/")), bookinfo.urls.join());

      bookinfo.urls.length = 0;
      const up = await c.run(["up"], {
        env: { ...env, ISTIO_VERSION: "1.30.3" },
        fetchText: bookinfo.fetchText,
      });
      assertEquals(up.code, 0, up.err);
      const e = up.events;
      // strictly one after another: each starts after the one before it is done
      for (let i = 1; i < ORDER.length; i++) {
        assert(
          index(e, "task-done", ORDER[i - 1]) < index(e, "task-start", ORDER[i]),
          `${ORDER[i]} started before ${ORDER[i - 1]} was done`,
        );
      }
      const info = logs(e, "info");
      assert(
        info.some((m) => m.startsWith("Istio patch upgrade 1.30.2 → 1.30.3")),
        info.join("\n"),
      );
      for (const release of ["istio-base", "istiod", "istio-cni", "ztunnel", "istio-gateway"]) {
        assert(
          info.includes(`upgrade ${release} 1.30.2 → 1.30.3`),
          `${release}: ${info.join("\n")}`,
        );
      }
      assertEquals(countCmd(up.spawned, "helm", "upgrade"), 5);
      // ztunnel: the warning, and its rollout named node by node
      assertStringIncludes(logs(e, "warn").join("\n"), "resets that node's mesh connections");
      const nodes = new Set(
        e.flatMap((x) =>
          x.type === "wait" && x.task === "istio:ztunnel"
            ? x.pending.filter((p) => p.ref.kind === "Node").map((p) => p.ref.name)
            : []
        ),
      );
      assertEquals(nodes.size, 3, [...nodes].join());
      assert(
        info.some((m) => /^ztunnel updated on node \S+ \(\d\/3 nodes\)$/.test(m)),
        info.join("\n"),
      );
      // bookinfo re-pinned to the new release's tag
      assert(bookinfo.urls.length > 0);
      assert(bookinfo.urls.every((u) => u.includes("/istio/istio/1.30.3/")), bookinfo.urls.join());
      const app = e.find((x) =>
        x.type === "step-done" && x.task === "bookinfo" && x.step === "app"
      );
      assert(app, "bookinfo's app was not re-applied");
      const ztunnel = await c.tool(["helm", "list", "-n", "istio-system", "-o", "json"]);
      for (const r of JSON.parse(ztunnel.stdout) as { chart: string }[]) {
        assert(r.chart.endsWith("-1.30.3"), r.chart);
      }
    } finally {
      await Deno.remove(charts, { recursive: true });
    }
  }, { sim: { nodes: 3, readyAfterMs: 150 } });
});

Deno.test("an upgrade that skips a minor is refused with exit 2 and the steps, and nothing changes", async () => {
  await withCluster(async (c) => {
    const charts = await chartsAt(c, ["1.28.1", "1.30.3"]);
    try {
      const env = { ISTIO_CHARTS: charts };
      const old = await c.run(["istio:install"], { env: { ...env, ISTIO_VERSION: "1.28.1" } });
      assertEquals(old.code, 0, old.err);
      const before = await c.tool(["helm", "list", "-A", "-o", "json"]);
      // diff says first that up would refuse it
      const diff = await c.run(["diff"], { json: false, env: { ...env, ISTIO_VERSION: "1.30.3" } });
      assertStringIncludes(diff.out + diff.err, "up would refuse this");
      assertStringIncludes(diff.out + diff.err, "first 1.29.x, then 1.30.3");
      const r = await c.run(["up"], { env: { ...env, ISTIO_VERSION: "1.30.3" } });
      assertEquals(r.code, 2, r.err);
      const error = r.events.find((e) => e.type === "error");
      assert(error?.type === "error", r.out);
      assertStringIncludes(error.message, 'Cannot upgrade Istio to "1.30.3" in place');
      assertStringIncludes(error.hint ?? "", "first 1.29.x, then 1.30.3");
      assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
      assertEquals(r.events.filter((e) => e.type === "step-start"), []);
      const after = await c.tool(["helm", "list", "-A", "-o", "json"]);
      assertEquals(JSON.parse(after.stdout), JSON.parse(before.stdout));
    } finally {
      await Deno.remove(charts, { recursive: true });
    }
  });
});

Deno.test("telemetry --force re-applies telemetry's own steps and leaves istio-base and istiod alone", async () => {
  await withCluster(async (c) => {
    const first = await c.run(["telemetry"]);
    assertEquals(first.code, 0, first.err);
    const r = await c.run(["telemetry", "--force"]);
    assertEquals(r.code, 0, r.err);
    assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
    const done = r.events.flatMap((e) =>
      e.type === "step-done" && e.action !== "checked" ? [e.task] : []
    );
    assert(done.length > 0 && done.every((t) => t === "telemetry"), done.join());
    const skipped = r.events.flatMap((e) => e.type === "step-skip" ? [e.task] : []);
    for (const t of ["istio:base", "istio:istiod"]) assert(skipped.includes(t), skipped.join());
    // an aggregate stands for its members
    const all = await c.run(["istio:install", "--force"]);
    assertEquals(all.code, 0, all.err);
    assertEquals(countCmd(all.spawned, "helm", "upgrade"), 4);
  });
});

Deno.test("kiali --force with Kiali turned off forces nothing: its deps keep their fingerprints", async () => {
  await withCluster(async (c) => {
    const env = { KIALI_ENABLED: "false" };
    const first = await c.run(["kiali"], { env });
    assertEquals(first.code, 0, first.err);
    const r = await c.run(["kiali", "--force"], { env });
    assertEquals(r.code, 0, r.err);
    assertEquals(countCmd(r.spawned, "helm", "upgrade"), 0);
  });
});
