import { assert, assertEquals, assertStringIncludes } from "../../_assert.ts";
import type { RunEvent } from "../../../lib/output/events.ts";
import { Kube } from "../../../lib/kube/kube.ts";
import type { HelmReleaseStep, Plan, PlannedTask } from "../../../lib/plan/plan.ts";
import {
  JsonStreamSplitter,
  type ProcessRunner,
  type ProcOptions,
  type ProcResult,
} from "../../../lib/kube/process.ts";
import { Redactor } from "../../../lib/output/redact.ts";
import {
  downPlan,
  isDefaultDenyCiliumPolicy,
  isDefaultDenyNetworkPolicy,
  runPlan,
} from "../../../lib/run/mod.ts";
import { RunServices, type ServicesOptions } from "../../../lib/run/services.ts";

/** A fake kubectl/helm: helm upgrade of a release named in `failing` fails. */
class FakeProc implements ProcessRunner {
  readonly calls: string[][] = [];
  /**
   * helm started early, to wait at its gate (a FIFO values file): a fake
   * cannot wait there, so it ends at once having done nothing, and its
   * step starts helm anew (lib/run/prestart.ts)
   */
  readonly gated: string[][] = [];
  readonly failing: Set<string>;
  active = 0;
  maxActive = 0;
  /** releases whose helm prints its deployed status, then exits only once this resolves */
  readonly exitLater = new Map<string, Promise<number>>();
  constructor(failing: string[] = []) {
    this.failing = new Set(failing);
  }
  async run(argv: readonly string[], options: ProcOptions = {}): Promise<ProcResult> {
    if (argv.some((a) => a.includes("-gate-") && Deno.lstatSync(a).isFifo)) {
      this.gated.push([...argv]);
      return { code: 1, stdout: "", stderr: "Error: stopped at its gate" };
    }
    this.calls.push([...argv]);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await Promise.resolve();
      await new Promise((r) => queueMicrotask(() => r(undefined)));
      if (argv[0] === "kubectl" && argv[1] === "get") {
        return { code: 0, stdout: '{"items":[]}', stderr: "" };
      }
      if (argv[0] === "helm" && argv[1] === "upgrade") {
        const release = argv[3];
        if (this.failing.has(release)) {
          return { code: 1, stdout: "", stderr: `Error: release ${release} failed` };
        }
        const exit = this.exitLater.get(release);
        if (exit) {
          const status = `NAME: ${release}\nSTATUS: deployed\nREVISION: 1\n`;
          options.onStdout?.(status);
          const code = await exit;
          return { code, stdout: status, stderr: code ? "Error: exited late" : "" };
        }
      }
      return { code: 0, stdout: "", stderr: "" };
    } finally {
      this.active--;
    }
  }
}

function release(name: string): HelmReleaseStep {
  return {
    kind: "helm-release",
    id: "release",
    description: name,
    release: name,
    namespace: "ns",
    createNamespace: true,
    chart: { type: "repo", repo: "http://127.0.0.1:1/x", chart: name, version: "1.0.0" },
    values: [],
    workloads: [],
  };
}

function task(id: string, deps: string[]): PlannedTask {
  return { id, description: id, deps, steps: [release(id)] };
}

async function run(
  plan: Plan,
  proc: FakeProc,
  down = false,
): Promise<{ events: RunEvent[]; ok: boolean }> {
  const events: RunEvent[] = [];
  const kube = new Kube({ proc, target: {}, redactor: new Redactor() });
  const dir = await Deno.makeTempDir({ prefix: "meshup-run-test-" });
  const options = {
    kube,
    emit: (e: RunEvent) => events.push(e),
    env: {},
    cwd: "/",
    runsDir: `${dir}/runs`,
    chartsDir: `${dir}/charts`,
    concurrency: 2,
  };
  try {
    const summary = down
      ? await downPlan(plan, { remote: new Map(), secrets: new Map() }, options)
      : await runPlan(plan, { remote: new Map(), secrets: new Map() }, options);
    return { events, ok: summary.ok };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Run services over the fake helm and kubectl, keeping their files in `dir`. */
function fakeServices(
  proc: FakeProc,
  dir: string,
  options: Partial<ServicesOptions> = {},
): RunServices {
  return new RunServices({ remote: new Map(), secrets: new Map() }, {
    kube: new Kube({ proc, target: {}, redactor: new Redactor() }),
    emit: () => {},
    settings: { force: false, purgeCrds: false },
    runsDir: `${dir}/runs`,
    chartsDir: `${dir}/charts`,
    ...options,
  });
}

const outcomes = (events: RunEvent[]): Record<string, string> => {
  const s = events.find((e) => e.type === "summary") as Extract<RunEvent, { type: "summary" }>;
  return Object.fromEntries(s.tasks.map((t) => [t.id, t.outcome]));
};

const diamond: Plan = {
  target: "top",
  tasks: [task("a", []), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"]), task("e", [])],
};

Deno.test("runPlan() runs every task after its deps and reports them done", async () => {
  const proc = new FakeProc();
  const { events, ok } = await run(diamond, proc);
  assertEquals(ok, true);
  assertEquals(outcomes(events), { a: "done", b: "done", c: "done", d: "done", e: "done" });
  const order = proc.calls.filter((c) => c[1] === "upgrade").map((c) => c[3]);
  assertEquals(
    order.indexOf("a") < order.indexOf("b") && order.indexOf("c") < order.indexOf("d"),
    true,
  );
});

Deno.test("runPlan() skips only the dependents of a failed task; independent branches finish", async () => {
  const proc = new FakeProc(["b"]);
  const { events, ok } = await run(diamond, proc);
  assertEquals(ok, false);
  assertEquals(outcomes(events), { a: "done", b: "failed", c: "done", d: "not-run", e: "done" });
  const failed = events.find((e) => e.type === "step-failed") as Extract<
    RunEvent,
    { type: "step-failed" }
  >;
  assertStringIncludes(failed.error, "Error: release b failed");
  assertStringIncludes(failed.error, "exit code: 1");
});

Deno.test("runPlan() keeps to the concurrency bound", async () => {
  const proc = new FakeProc();
  const wide: Plan = {
    target: "w",
    tasks: ["a", "b", "c", "d", "e", "f"].map((id) => task(id, [])),
  };
  await run(wide, proc);
  assertEquals(proc.maxActive <= 2, true);
});

Deno.test("an early start waits while a foreground release starts up, at most a while, and is dropped when its step acts first", async () => {
  const proc = new FakeProc();
  const dir = await Deno.makeTempDir({ prefix: "meshup-run-test-" });
  const services = fakeServices(proc, dir);
  services.releases = new Map();
  const upgrades = (name: string): string[][] =>
    [...proc.calls, ...proc.gated].filter((c) => c[1] === "upgrade" && c[3] === name);
  const free = services.startup.hold();
  // taken by its step while it waits: nothing was started, the step starts its own
  const b = task("b", ["a"]);
  services.prestart(b);
  const taken = services.forStep(b, b.steps[0], {}).prestarted();
  assertEquals(await taken, undefined);
  // not taken: it starts once the wait's bound has passed, the hold still on
  const c = task("c", ["a"]);
  services.prestart(c);
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(upgrades("c").length, 0, "still waiting");
  for (const deadline = Date.now() + 10_000; upgrades("c").length === 0 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(upgrades("c").length, 1, "started, the hold still on");
  const early = await services.forStep(c, c.steps[0], {}).prestarted();
  free();
  assertEquals(upgrades("b").length, 0);
  assertEquals(upgrades("c").length, 1);
  assertEquals(early?.argv.at(-1)?.includes("-gate-"), true);
  await services.cancelPrestarts();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("downPlan() tears dependents down before their deps and skips releases not installed", async () => {
  const proc = new FakeProc();
  const { events } = await run(diamond, proc, true);
  const started = events.filter((e) => e.type === "task-start").map((e) =>
    (e as { task: string }).task
  );
  assertEquals(started.indexOf("d") < started.indexOf("b"), true);
  assertEquals(started.indexOf("b") < started.indexOf("a"), true);
  assertEquals(proc.calls.filter((c) => c[1] === "uninstall").length, 0);
  assertEquals(Object.values(outcomes(events)).every((o) => o === "unchanged"), true);
});

Deno.test("JsonStreamSplitter splits pretty-printed JSON objects across chunks", () => {
  const s = new JsonStreamSplitter();
  const text = JSON.stringify({ type: "ADDED", object: { a: '}{"' } }, null, 2) + "\n" +
    JSON.stringify({ b: [1, 2] }, null, 2);
  const out: unknown[] = [];
  for (let i = 0; i < text.length; i += 7) out.push(...s.push(text.slice(i, i + 7)));
  assertEquals(out, [{ type: "ADDED", object: { a: '}{"' } }, { b: [1, 2] }]);
});

Deno.test("default-deny detection knows NetworkPolicy and Cilium shapes", () => {
  assertEquals(
    isDefaultDenyNetworkPolicy({ spec: { podSelector: {}, policyTypes: ["Ingress"] } }),
    true,
  );
  assertEquals(isDefaultDenyNetworkPolicy({ spec: { podSelector: {}, ingress: [{}] } }), false);
  assertEquals(
    isDefaultDenyNetworkPolicy({ spec: { podSelector: { matchLabels: { a: "b" } } } }),
    false,
  );
  assertEquals(
    isDefaultDenyCiliumPolicy({ metadata: { name: "x" }, spec: { endpointSelector: {} } }),
    true,
  );
  assertEquals(
    isDefaultDenyCiliumPolicy({
      metadata: { name: "allow-ambient-hostprobes" },
      spec: { endpointSelector: {} },
    }),
    false,
  );
});

Deno.test("a release is done once helm prints it deployed: dependents start, the run waits for the exit", async () => {
  const proc = new FakeProc();
  let exit!: (code: number) => void;
  proc.exitLater.set("a", new Promise((r) => exit = r));
  const chain: Plan = { target: "b", tasks: [task("a", []), task("b", ["a"])] };
  let ended = false;
  const running = run(chain, proc).then((r) => {
    ended = true;
    return r;
  });
  // b's helm runs while a's process has yet to exit
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    if (proc.calls.some((c) => c[1] === "upgrade" && c[3] === "b")) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert(proc.calls.some((c) => c[1] === "upgrade" && c[3] === "b"), "b started before a exited");
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(ended, false, "the run waits for a's process");
  exit(3);
  const { events, ok } = await running;
  assertEquals([ok, outcomes(events)], [true, { a: "done", b: "done" }]);
  const warned = events.find((e) => e.type === "log" && e.level === "warn");
  assertStringIncludes(
    (warned as { message: string } | undefined)?.message ?? "",
    "helm recorded release ns/a deployed, then failed",
  );
});
