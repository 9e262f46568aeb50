import { assert, assertEquals, assertMatch } from "../_assert.ts";
import type { TaskOverhead } from "./figures.ts";
import { benchLine, formatMs, overheadRows, table } from "./report.ts";

/** DESIGN.md's line, exactly, as a pattern. */
const DOCUMENTED =
  /^bench: install\/critical=\d+\.\d\d seed-script\/critical=\d+\.\d\d noop=\d+\.\d\ds noop-procs=\d+ detect-p95=\d+ms/;

const FIGURES = {
  installRatio: 1.2649,
  serialRatio: 2.156,
  noopMs: 923.4,
  noopProcs: 16,
  detectP95Ms: 5.6,
};

Deno.test("benchLine() prints DESIGN.md's line and nothing after it without scale figures", () => {
  const line = benchLine(FIGURES);
  assertEquals(
    line,
    "bench: install/critical=1.26 seed-script/critical=2.16 noop=0.92s noop-procs=16 detect-p95=6ms",
  );
  assertMatch(line, new RegExp(`${DOCUMENTED.source}$`));
});

Deno.test("benchLine() appends the scale ratios after the documented prefix", () => {
  const line = benchLine({
    ...FIGURES,
    noopProcs: 0,
    scale: { largeNodes: 30, smallNodes: 3, up: 1.024, noop: 0.935, verify: 1.705 },
  });
  assertEquals(
    line,
    "bench: install/critical=1.26 seed-script/critical=2.16 noop=0.92s noop-procs=0 " +
      "detect-p95=6ms scale30/3: up=1.02 noop=0.94 verify=1.71",
  );
  assertMatch(line, DOCUMENTED);
});

function overhead(task: string, o: Partial<TaskOverhead>): TaskOverhead {
  return {
    task,
    critical: false,
    costMs: 0,
    measuredMs: 0,
    overheadMs: 0,
    earliestMs: 0,
    startMs: 0,
    lateMs: 0,
    afterDepsMs: 0,
    ...o,
  };
}

Deno.test("overheadRows() marks the critical path, signs differences and sums the critical path", () => {
  const rows = overheadRows([
    overhead("cilium", { measuredMs: 308.4, overheadMs: 308.4, startMs: 208, lateMs: 208 }),
    overhead("istio:base", {
      critical: true,
      costMs: 108,
      measuredMs: 210,
      overheadMs: 102,
      startMs: 517,
      lateMs: 517,
      afterDepsMs: 1.2,
    }),
    overhead("bookinfo", {
      critical: true,
      costMs: 2094,
      measuredMs: 2090,
      overheadMs: -4,
      startMs: 900,
      earliestMs: 108,
      lateMs: 792,
      afterDepsMs: 3,
    }),
  ]);
  assertEquals(rows[0][0], "task (* critical path)");
  assertEquals(rows.slice(1), [
    ["  cilium", "208 ms", "0 ms", "+208 ms", "0 ms", "308 ms", "0 ms", "+308 ms"],
    ["* istio:base", "517 ms", "0 ms", "+517 ms", "1 ms", "210 ms", "108 ms", "+102 ms"],
    ["* bookinfo", "900 ms", "108 ms", "+792 ms", "3 ms", "2090 ms", "2094 ms", "-4 ms"],
    ["  critical path, summed", "517 ms", "", "", "4 ms", "2300 ms", "2202 ms", "+98 ms"],
  ]);
  assert(rows.every((r) => r.length === rows[0].length));
});

Deno.test("overheadRows() has no sum row when no task is on the critical path", () => {
  assertEquals(overheadRows([overhead("a", {})]).length, 2);
});

Deno.test("table() aligns columns two spaces apart without trailing blanks", () => {
  assertEquals(table([["a", "bb", ""], ["ccc", "d", ""]]), "a    bb\nccc  d");
});

Deno.test("formatMs() rounds and shows a dash for NaN", () => {
  assertEquals(formatMs(1234.5), "1235 ms");
  assertEquals(formatMs(NaN), "-");
});
