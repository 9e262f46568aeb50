import { assertEquals, assertStringIncludes, assertThrows } from "../../_assert.ts";
import {
  criticalPath,
  reverseOrder,
  selectTasks,
  toDot,
  toMermaid,
  validateGraph,
} from "../../../lib/plan/dag.ts";
import { InputError } from "../../../lib/errors.ts";
import { TASKS } from "../../../Taskfile.ts";

const ids = (ts: { id: string }[]): string[] => ts.map((t) => t.id);

Deno.test("selectTasks() orders istiod and cni after base and ztunnel after both", () => {
  const order = ids(selectTasks(TASKS, "istio:install"));
  assertEquals(order, [
    "cilium",
    "istio:base",
    "istio:cni",
    "istio:istiod",
    "istio:ztunnel",
    "istio:install",
  ]);
});

Deno.test("selectTasks() lets cni and istiod depend on base only, so they may run side by side", () => {
  const byId = new Map(TASKS.map((t) => [t.id, t]));
  assertEquals(byId.get("istio:cni")!.deps, ["istio:base"]);
  assertEquals(byId.get("istio:istiod")!.deps, ["istio:base"]);
  assertEquals(byId.get("istio:ztunnel")!.deps, ["istio:cni", "istio:istiod"]);
});

Deno.test("selectTasks() puts every task after its deps for up", () => {
  const order = ids(selectTasks(TASKS, "up"));
  assertEquals(order.length, TASKS.length);
  for (const t of TASKS) {
    for (const d of t.deps) {
      assertEquals(order.indexOf(d) < order.indexOf(t.id), true, `${d} before ${t.id}`);
    }
  }
  assertEquals(order.at(-1), "up");
});

Deno.test("selectTasks() with only selects the target alone", () => {
  assertEquals(ids(selectTasks(TASKS, "kiali", { only: true })), ["kiali"]);
});

Deno.test("selectTasks() suggests the target for a typo", () => {
  const e = assertThrows(() => selectTasks(TASKS, "istio:istoid"), InputError);
  assertEquals(e.message, 'Unknown target "istio:istoid"');
  assertStringIncludes(e.hint!, '"istio:istiod"');
});

Deno.test("validateGraph() rejects unknown deps and cycles, naming them", () => {
  const unknown = assertThrows(
    () => validateGraph([{ id: "a", deps: ["bb"] }, { id: "b", deps: [] }]),
    InputError,
  );
  assertEquals(unknown.message, 'Invalid task graph: task "a" depends on unknown task "bb"');
  const cycle = assertThrows(
    () =>
      validateGraph([{ id: "a", deps: ["c"] }, { id: "b", deps: ["a"] }, { id: "c", deps: ["b"] }]),
    InputError,
  );
  assertEquals(cycle.message, 'Invalid task graph: dependency cycle "a" -> "c" -> "b" -> "a"');
  assertThrows(() => validateGraph([{ id: "a", deps: [] }, { id: "a", deps: [] }]), InputError);
});

Deno.test("reverseOrder() puts dependents first for down", () => {
  const order = ids(reverseOrder(selectTasks(TASKS, "istio:install")));
  assertEquals(order[0], "istio:install");
  assertEquals(order.indexOf("istio:ztunnel") < order.indexOf("istio:istiod"), true);
  assertEquals(order.at(-1), "cilium");
});

Deno.test("toMermaid() and toDot() draw every edge", () => {
  const m = toMermaid(TASKS);
  assertStringIncludes(m, "flowchart LR");
  assertStringIncludes(m, "istio_base --> istio_istiod");
  const d = toDot(TASKS);
  assertStringIncludes(d, '"istio:cni" -> "istio:ztunnel";');
  const edges = TASKS.reduce((n, t) => n + t.deps.length, 0);
  assertEquals(d.split("->").length - 1, edges);
});

Deno.test("criticalPath() follows the longest chain of costs", () => {
  const cost: Record<string, number> = { a: 1, b: 5, c: 2, d: 1 };
  const nodes = [{ id: "a", deps: [] }, { id: "b", deps: ["a"] }, { id: "c", deps: ["a"] }, {
    id: "d",
    deps: ["b", "c"],
  }];
  assertEquals(criticalPath(nodes, (id) => cost[id]), { total: 7, path: ["a", "b", "d"] });
});
