import { assert, assertEquals } from "../_assert.ts";
import { CHARTS, tools } from "./_tools.ts";
import { startSim } from "./mod.ts";

const MB = 1024 * 1024;

// The RSS is the whole test process's (the type checker may have run in it first), so the
// absolute peak is reported and only the growth during the installs is asserted.
Deno.test("ten small chart releases grow the simulator's RSS by less than 150 MB", async () => {
  const before = Deno.memoryUsage().rss;
  const sim = await startSim({ readyAfterMs: 20, nodes: 3 });
  await using t = await tools(sim);
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 25);
  const started = performance.now();
  try {
    const releases = Array.from({ length: 10 }, (_, i) => `rel${i}`);
    for (let i = 0; i < releases.length; i += 5) {
      const batch = releases.slice(i, i + 5);
      const results = await Promise.all(batch.map((name) =>
        t.helm([
          "upgrade",
          "--install",
          name,
          `${CHARTS}demo`,
          "-n",
          `ns-${name}`,
          "--create-namespace",
          "--wait",
          "--timeout",
          "60s",
        ])
      ));
      for (const r of results) assertEquals(r.code, 0, r.output);
    }
    const list = await t.helm(["list", "-A", "-o", "json"]);
    assertEquals(JSON.parse(list.stdout).length, 10);
  } finally {
    clearInterval(sampler);
    await sim.close();
  }
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const objects = sim.store.groupResources().reduce(
    (n, gr) => n + sim.store.peekList(gr).length,
    0,
  );
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `ten releases: ${Math.round(performance.now() - started)} ms, ${objects} objects, ` +
        `${sim.requests.count()} requests, RSS before ${(before / MB).toFixed(0)} MB, ` +
        `peak ${(peak / MB).toFixed(0)} MB\n`,
    ),
  );
  assert(
    peak - before < 150 * MB,
    `RSS grew from ${(before / MB).toFixed(0)} MB to ${(peak / MB).toFixed(0)} MB`,
  );
});
