import { assertEquals, assertMatch } from "../../_assert.ts";
import { withCluster } from "../../_cluster.ts";

Deno.test("--timeline writes the run as a gantt chart, replacing the file in one rename", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/run.mmd`;
  try {
    await withCluster(async (c) => {
      const first = await c.run(["istio:base", "--only", "--timeline", file]);
      assertEquals(first.code, 0, first.err);
      const started = first.events.filter((e) => e.type === "step-start").length;
      const text = await Deno.readTextFile(file);
      const lines = text.trimEnd().split("\n");
      assertEquals(lines.slice(0, 4), [
        "gantt",
        "  title meshup istio#58;base",
        "  dateFormat x",
        "  axisFormat %H:%M:%S",
      ]);
      assertEquals(lines[4], "  section istio#58;base");
      const bars = lines.slice(5).filter((l) => !/^ {2}\S+ wait :/.test(l));
      assertEquals(bars.length, started);
      for (const bar of bars) assertMatch(bar, /^ {2}[^:]+ :(done, |crit, )?\d{13}, \d{13}$/);

      // the second run changes nothing: every step is skipped, drawn `done`
      const second = await c.run(["istio:base", "--only", "--timeline", file]);
      assertEquals(second.code, 0, second.err);
      const again = (await Deno.readTextFile(file)).trimEnd().split("\n").slice(5);
      assertEquals(again.length, started);
      for (const bar of again) assertMatch(bar, /^ {2}[^:]+ :done, \d{13}, \d{13}$/);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["run.mmd"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
