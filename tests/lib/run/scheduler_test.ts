import { assertEquals } from "../../_assert.ts";
import type { Plan, PlannedTask, Step } from "../../../lib/plan/plan.ts";
import { remainingChain, schedule } from "../../../lib/run/scheduler.ts";

const STEP: Step = { kind: "wait", id: "w", description: "", objects: [] };

function plan(tasks: [string, string[], boolean?][]): Plan {
  return {
    target: "up",
    tasks: tasks.map(([id, deps, aggregate]): PlannedTask => ({
      id,
      description: id,
      deps,
      steps: aggregate ? [] : [STEP],
    })),
  };
}

// the shape of the real graph: base → cni, istiod → ztunnel → install → bookinfo
const MESH = plan([
  ["base", []],
  ["cni", ["base"]],
  ["istiod", ["base"]],
  ["ztunnel", ["cni", "istiod"]],
  ["install", ["base", "cni", "istiod", "ztunnel"], true],
  ["gateway", ["istiod"]],
  ["kiali", ["istiod"]],
  ["bookinfo", ["install", "gateway"]],
  ["up", ["bookinfo", "kiali"], true],
]);

Deno.test("remainingChain() ranks by the tasks with steps still ahead, then by dependents", () => {
  const rank = remainingChain(MESH, (t) => t.deps);
  assertEquals(Object.fromEntries(rank), {
    base: 4008,
    cni: 3004,
    istiod: 3006,
    ztunnel: 2003,
    install: 1002,
    gateway: 2002,
    kiali: 1001,
    bookinfo: 1001,
    up: 0,
  });
});

Deno.test("schedule() runs a task off the longest remaining chain in the background", async () => {
  const placed: Record<string, boolean> = {};
  const summary = await schedule(MESH, {
    depsOf: (t) => t.deps,
    async exec(task, _deps, placement) {
      placed[task.id] = placement.background;
      await Promise.resolve();
      return { outcome: "done" };
    },
    emit: () => {},
    concurrency: 8,
  });
  assertEquals(summary.ok, true);
  // kiali starts beside ztunnel and gateway, which both have bookinfo still ahead
  assertEquals(placed, {
    base: false,
    cni: true,
    istiod: false,
    ztunnel: false,
    install: false,
    gateway: true,
    kiali: true,
    bookinfo: false,
    up: false,
  });
});
