import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import type { RunEvent } from "../../../lib/output/events.ts";
import { createOutput, type OutputOptions } from "../../../lib/output/mod.ts";
import { screen } from "./_terminal.ts";

const T0 = Date.parse("2025-06-01T12:00:00Z");

function at(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

function capture(
  mode: "tty" | "plain",
  options: OutputOptions = {},
): { out: string[]; output: ReturnType<typeof createOutput> } {
  const out: string[] = [];
  const output = createOutput(mode, {
    write: (s) => out.push(s),
    writeError: () => {},
    now: () => new Date(T0 + 5000),
    utc: true,
    color: false,
    ...options,
  });
  return { out, output };
}

const DIAGNOSIS = [
  'Cannot ready "istio:istiod/release": pod istiod-7f9-abc CrashLoopBackOff (last event: Back-off restarting failed container)',
  'Deployment "istiod" in istio-system is InProgress: Ready: 0/1',
  "  pod istiod-7f9-abc: CrashLoopBackOff, restarts 7, not ready (container discovery: exit 1)",
  "  last events:",
  "    Warning BackOff pod/istiod-7f9-abc: Back-off restarting failed container discovery (x7)",
  "  hint: kubectl -n istio-system logs pod/istiod-7f9-abc -c discovery --previous",
];

const FAILED_RUN: RunEvent[] = [
  {
    type: "plan",
    time: at(0),
    target: "istio:istiod",
    tasks: [{
      id: "istio:istiod",
      deps: [],
      steps: [{ id: "release", kind: "helm-release", description: "istio/istiod 1.28.0" }],
    }],
  },
  { type: "task-start", time: at(0), task: "istio:istiod" },
  {
    type: "step-start",
    time: at(10),
    task: "istio:istiod",
    step: "release",
    kind: "helm-release",
    description: "istio/istiod 1.28.0",
  },
  {
    type: "step-failed",
    time: at(3000),
    task: "istio:istiod",
    step: "release",
    error: DIAGNOSIS.join("\n"),
    durationMs: 2990,
  },
  { type: "task-done", time: at(3010), task: "istio:istiod", outcome: "failed", durationMs: 3010 },
];

Deno.test("the terminal view shows a failed step's whole diagnosis, as plain output does", () => {
  const tty = capture("tty");
  for (const e of FAILED_RUN) tty.output.emit(e);
  tty.output.close();
  const shown = screen(tty.out.join("")).join("\n");
  const plain = capture("plain");
  for (const e of FAILED_RUN) plain.output.emit(e);
  const printed = plain.out.join("");
  for (const line of DIAGNOSIS) {
    strictEqual(shown.includes(line.trim()), true, `tty lacks: ${line}`);
    strictEqual(printed.includes(line.trim()), true, `plain lacks: ${line}`);
  }
});

/** `tasks` running tasks of `steps` steps each, every one waiting on its first step. */
function busyRun(tasks: number, steps: number): RunEvent[] {
  const ids = Array.from({ length: tasks }, (_, i) => `task-${i}`);
  const stepIds = Array.from({ length: steps }, (_, j) => `step-${j}`);
  const events: RunEvent[] = [{
    type: "plan",
    time: at(0),
    target: "up",
    tasks: ids.map((id) => ({
      id,
      deps: [],
      steps: stepIds.map((s) => ({ id: s, kind: "apply" as const, description: `${id} ${s}` })),
    })),
  }];
  for (const [i, task] of ids.entries()) {
    events.push({ type: "task-start", time: at(i), task });
    for (const step of stepIds.slice(0, 2)) {
      events.push({
        type: "step-start",
        time: at(i + 1),
        task,
        step,
        kind: "apply",
        description: `${task} ${step}`,
      });
    }
    events.push({
      type: "step-done",
      time: at(i + 2),
      task,
      step: "step-0",
      action: "applied",
      durationMs: 1,
    });
    events.push({
      type: "wait",
      time: at(i + 3),
      task,
      step: "step-1",
      pending: [{
        ref: { apiVersion: "apps/v1", kind: "Deployment", name: task, namespace: "x" },
        status: "InProgress",
        message: "Ready: 0/1",
      }],
    });
  }
  return events;
}

Deno.test("the terminal view folds the live tree so it never outgrows the terminal", () => {
  for (const [tasks, rows] of [[2, 12], [4, 12], [12, 10]] as const) {
    const { out, output } = capture("tty", { rows });
    const run = busyRun(tasks, 6);
    for (const e of run) {
      output.emit(e);
      // the live area of every frame fits: nothing above the screen's top is left behind
      const frame = screen(out.join(""), rows);
      const live = frame.slice(1);
      strictEqual(live.length <= rows - 1, true, `${tasks} tasks: ${live.length} lines`);
    }
    const frame = screen(out.join(""), rows);
    strictEqual(frame.some((l) => l.includes("waiting for deploy/task-0: Ready: 0/1")), true);
    for (let i = 0; i < tasks; i++) {
      output.emit({
        type: "task-done",
        time: at(100 + i),
        task: `task-${i}`,
        outcome: "done",
        durationMs: 100,
      });
    }
    output.emit({ type: "summary", time: at(200), ok: true, durationMs: 200, tasks: [] });
    output.close();
    const final = screen(out.join(""), rows);
    // no frame of the live tree was stranded in the scrollback
    assertEquals(final.filter((l) => /^[⠋⠙] /.test(l) || l.includes("waiting for")), []);
    assertEquals(final.filter((l) => l.startsWith("✓ task-")).length, tasks);
  }
});

Deno.test("the terminal view shows every step while the tree fits", () => {
  const { out, output } = capture("tty", { rows: 40 });
  for (const e of busyRun(2, 3)) output.emit(e);
  assertEquals(screen(out.join(""), 40), [
    "meshup up: 2 tasks",
    "⠋ task-0  5.0s",
    "  ✓ step-0  applied 0.0s",
    "  ⠋ step-1  task-0 step-1  5.0s",
    "      waiting for deploy/task-0: Ready: 0/1",
    "  · step-2  task-0 step-2",
    "⠋ task-1  5.0s",
    "  ✓ step-0  applied 0.0s",
    "  ⠋ step-1  task-1 step-1  5.0s",
    "      waiting for deploy/task-1: Ready: 0/1",
    "  · step-2  task-1 step-2",
  ]);
  output.close();
});

Deno.test("--verbose commands are shell-quoted so they can be pasted", () => {
  for (const mode of ["plain", "tty"] as const) {
    const { out, output } = capture(mode, { verbose: true });
    output.emit({
      type: "cmd",
      time: at(0),
      task: "t",
      step: "s",
      argv: ["kubectl", "get", "pods", "-l", "a<b", "--x=>y", "", "it's"],
    });
    output.close();
    strictEqual(
      out.join("").includes(`$ kubectl get pods -l 'a<b' '--x=>y' '' 'it'"'"'s'`),
      true,
      `${mode}: ${out.join("")}`,
    );
  }
});

Deno.test("--json output stays valid JSON with its keys when a secret equals a key or a word", async () => {
  const { Redactor } = await import("../../../lib/output/redact.ts");
  for (const secret of ["durationMs", "metadata", "kubectl1", "step-done"]) {
    const redactor = new Redactor();
    redactor.add(secret);
    const out: string[] = [];
    const output = createOutput("json", {
      write: (s) => out.push(s),
      writeError: () => {},
      redactor,
    });
    const events: RunEvent[] = [
      {
        type: "cmd",
        time: at(0),
        task: "t",
        step: "s",
        argv: ["kubectl", "get", "-o", "jsonpath={.metadata.name}", `--token=${secret}`],
      },
      { type: "step-done", time: at(1), task: "t", step: "s", action: "applied", durationMs: 7 },
    ];
    for (const e of events) output.emit(e);
    output.error(`Cannot use ${secret}`, { hint: "fix it" });
    const lines = out.join("").trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.type), ["cmd", "step-done", "error"], secret);
    assertEquals(lines[1].durationMs, 7, secret);
    assertEquals(lines[0].argv.at(-1), "--token=<redacted>", secret);
    assertEquals(lines[2].message, "Cannot use <redacted>", secret);
    assertEquals([lines[2].code, lines[2].hint], [2, "fix it"], secret);
  }
});
