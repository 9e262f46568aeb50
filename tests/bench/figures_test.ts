import { assert, assertEquals } from "../_assert.ts";
import { TASKS } from "../../Taskfile.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import type { Node } from "../../lib/plan/dag.ts";
import type { TimedEvent } from "./detect.ts";
import {
  earliestStarts,
  kubeProcesses,
  median,
  scaleRatios,
  type ScaleRun,
  taskOverheads,
} from "./figures.ts";
import { profileCriticalPath, taskCost } from "./profile.ts";

// a → b, a → c, b + c → d; e stands alone and never runs
const NODES: Node[] = [
  { id: "a", deps: [] },
  { id: "b", deps: ["a"] },
  { id: "c", deps: ["a"] },
  { id: "d", deps: ["b", "c"] },
  { id: "e", deps: [] },
];
const COST: Record<string, number> = { a: 100, b: 50, c: 200, d: 10, e: 5 };

Deno.test("earliestStarts() starts each node after its longest chain of deps", () => {
  const starts = earliestStarts(NODES, (id) => COST[id]);
  assertEquals(Object.fromEntries(starts), { a: 0, b: 100, c: 100, d: 300, e: 0 });
});

Deno.test("earliestStarts() plus the cost of the last task is the profile's critical path", () => {
  const starts = earliestStarts(TASKS, (id) => taskCost(id));
  const { total, path } = profileCriticalPath(TASKS);
  const last = path.at(-1)!;
  assertEquals(starts.get(last)! + taskCost(last), total);
  for (const t of TASKS) assert(starts.get(t.id)! + taskCost(t.id) <= total, t.id);
});

function timed(at: number, event: Record<string, unknown>): TimedEvent {
  return { at, event: { time: "", ...event } as RunEvent };
}

Deno.test("taskOverheads() sets each task's duration against its cost and its start against its earliest", () => {
  const startAt = 1000; // the run's start on the events' clock
  const events: TimedEvent[] = [
    timed(1010, { type: "plan", target: "d", tasks: [] }),
    timed(1020, { type: "task-start", task: "a" }),
    timed(1150, { type: "task-done", task: "a", outcome: "done", durationMs: 130 }),
    timed(1151, { type: "task-start", task: "c" }),
    timed(1160, { type: "task-start", task: "b" }),
    timed(1240, { type: "task-done", task: "b", outcome: "done", durationMs: 80 }),
    timed(1380, { type: "task-done", task: "c", outcome: "done", durationMs: 229 }),
    timed(1400, { type: "task-start", task: "d" }),
    timed(1405, { type: "task-done", task: "d", outcome: "unchanged", durationMs: 5 }),
  ];
  const rows = taskOverheads(events, {
    nodes: NODES,
    cost: (id) => COST[id],
    startAt,
    criticalPath: ["a", "c", "d"],
  });
  const pick = (id: string): unknown => {
    const r = rows.find((x) => x.task === id)!;
    return [
      r.critical,
      r.measuredMs,
      r.costMs,
      r.overheadMs,
      r.startMs,
      r.earliestMs,
      r.lateMs,
      r.afterDepsMs,
    ];
  };
  // e never started: no row; the rest in topological order
  assertEquals(rows.map((r) => r.task), ["a", "b", "c", "d"]);
  // critical, measured, cost, overhead, start, earliest, late, after deps
  assertEquals(pick("a"), [true, 130, 100, 30, 20, 0, 20, 20]);
  assertEquals(pick("b"), [false, 80, 50, 30, 160, 100, 60, 10]);
  assertEquals(pick("c"), [true, 229, 200, 29, 151, 100, 51, 1]);
  // d waits for the later of b (1240) and c (1380)
  assertEquals(pick("d"), [true, 5, 10, -5, 400, 300, 100, 20]);
});

Deno.test("taskOverheads() leaves out a task that started but never finished", () => {
  const rows = taskOverheads([timed(5, { type: "task-start", task: "a" })], {
    nodes: NODES,
    cost: (id) => COST[id],
    startAt: 0,
  });
  assertEquals(rows, []);
});

Deno.test("kubeProcesses() counts helm and kubectl by argv[0], nothing else", () => {
  const spawned = [
    ["kubectl", "get", "pods"],
    ["helm", "status", "x"],
    ["helmfile", "sync"],
    ["sh", "-c", "kubectl get pods"],
    ["kubectl"],
    [],
  ];
  assertEquals(kubeProcesses(spawned), 3);
  assertEquals(kubeProcesses([]), 0);
});

Deno.test("median() takes the middle value, or the mean of the middle two", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assertEquals(median([7]), 7);
  assert(Number.isNaN(median([])));
});

Deno.test("scaleRatios() divides the large cluster's wall times by the small one's", () => {
  const run = (nodes: number, f: number): ScaleRun => ({
    nodes,
    upMs: 4000 * f,
    noopMs: 500,
    noopProcs: 0,
    noopRequests: 90,
    verifyMs: 800 * f * f,
    verifyProcs: 0,
  });
  assertEquals(scaleRatios(run(3, 1), run(30, 2)), {
    largeNodes: 30,
    smallNodes: 3,
    up: 2,
    noop: 1,
    verify: 4,
  });
});
