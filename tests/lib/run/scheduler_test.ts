import { assert, assertEquals } from "../../_assert.ts";
import type { Plan, PlannedTask, Step } from "../../../lib/plan/plan.ts";
import { firstPrestart, remainingChain, schedule } from "../../../lib/run/scheduler.ts";

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

// two tasks that start at once, each with a chain behind it; base's is the longer
const WITH_ROOTS = plan([
  ["cilium", []],
  ["gateway-api", []],
  ["base", ["cilium"]],
  ["crds", ["gateway-api"]],
  ["istiod", ["base"]],
  ["ztunnel", ["istiod"]],
]);

Deno.test("firstPrestart() names the task on the longest chain behind the tasks that start at once", () => {
  assertEquals(firstPrestart(WITH_ROOTS, (t) => t.deps)?.id, "base");
  // a task whose deps do not all start at once is not first; nor one without steps
  assertEquals(firstPrestart(MESH, (t) => t.deps)?.id, "istiod");
  const aggregateOnly = plan([["a", []], ["all", ["a"], true]]);
  assertEquals(firstPrestart(aggregateOnly, (t) => t.deps), undefined);
});

Deno.test("firstPrestart() is the task schedule() prestarts first", async () => {
  const prestarted: string[] = [];
  await schedule(WITH_ROOTS, {
    depsOf: (t) => t.deps,
    exec: () => Promise.resolve({ outcome: "done" }),
    emit: () => {},
    prestart: (t) => void prestarted.push(t.id),
  });
  assertEquals(prestarted[0], firstPrestart(WITH_ROOTS, (t) => t.deps)?.id);
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

Deno.test("schedule() offers to start early the task next on the longest chain, once its deps have started", async () => {
  const log: string[] = [];
  const finish = new Map<string, () => void>();
  const running = schedule(MESH, {
    depsOf: (t) => t.deps,
    async exec(task) {
      log.push(`start ${task.id}`);
      await new Promise<void>((resolve) => finish.set(task.id, resolve));
      return { outcome: "done" };
    },
    prestart: (task) => log.push(`early ${task.id}`),
    emit: () => {},
    concurrency: 8,
  });
  const done = async (id: string): Promise<void> => {
    for (let i = 0; i < 50 && !finish.has(id); i++) await new Promise((r) => setTimeout(r, 0));
    assert(finish.has(id), `${id} started (${log.join(", ")})`);
    finish.get(id)!();
  };
  await done("base");
  await done("cni");
  await done("istiod");
  await done("gateway");
  await done("kiali");
  await done("ztunnel");
  await done("install");
  await done("bookinfo");
  await done("up");
  const summary = await running;
  assertEquals(summary.ok, true);
  const early = log.filter((l) => l.startsWith("early "));
  // istiod while base runs, ztunnel once cni and istiod run, bookinfo once install runs
  assertEquals(early, ["early istiod", "early ztunnel", "early bookinfo"]);
  assert(log.indexOf("early istiod") < log.indexOf("start istiod"));
  assert(log.indexOf("early ztunnel") < log.indexOf("start ztunnel"));
  assert(!early.includes("early gateway") && !early.includes("early kiali"));
});
