import { assertEquals } from "../../_assert.ts";
import type { RunEvent } from "../../../lib/output/events.ts";
import { mermaidText, timelineGantt } from "../../../lib/output/timeline.ts";

/** 2025-06-01T12:00:00.000Z is 1748779200000 ms since the epoch. */
function at(ms: number): string {
  return new Date(Date.parse("2025-06-01T12:00:00.000Z") + ms).toISOString();
}

const REF = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "istio-system",
  name: "istiod",
};

/** `up` with an unchanged task, a task that waits then succeeds, and a failing task. */
const EVENTS: RunEvent[] = [
  {
    type: "plan",
    time: at(0),
    target: "up",
    tasks: [
      {
        id: "istio:base",
        deps: [],
        steps: [{ id: "release", kind: "helm-release", description: "" }],
      },
      { id: "istio:istiod", deps: ["istio:base"], steps: [] },
      { id: "kiali", deps: ["istio:istiod"], steps: [] },
      { id: "up", deps: ["kiali"], steps: [] },
    ],
  },
  { type: "context", time: at(0), context: "home-lab", server: "https://10.0.0.1:6443" },
  { type: "task-start", time: at(5), task: "istio:base" },
  {
    type: "step-start",
    time: at(10),
    task: "istio:base",
    step: "release",
    kind: "helm-release",
    description: "istio/base",
  },
  { type: "cmd", time: at(12), task: "istio:base", step: "release", argv: ["helm", "status"] },
  { type: "step-skip", time: at(110), task: "istio:base", step: "release", reason: "unchanged" },
  { type: "task-done", time: at(111), task: "istio:base", outcome: "unchanged", durationMs: 106 },
  { type: "task-start", time: at(120), task: "istio:istiod" },
  {
    type: "step-start",
    time: at(120),
    task: "istio:istiod",
    step: "release",
    kind: "helm-release",
    description: "istio/istiod",
  },
  {
    type: "wait",
    time: at(900),
    task: "istio:istiod",
    step: "release",
    pending: [{ ref: REF, status: "InProgress", message: "Ready: 0/1" }],
  },
  {
    type: "wait",
    time: at(1400),
    task: "istio:istiod",
    step: "release",
    pending: [{ ref: REF, status: "InProgress", message: "Ready: 0/1" }],
  },
  {
    type: "step-done",
    time: at(2120),
    task: "istio:istiod",
    step: "release",
    action: "installed",
    durationMs: 2000,
  },
  { type: "task-done", time: at(2121), task: "istio:istiod", outcome: "done", durationMs: 2001 },
  { type: "task-start", time: at(2200), task: "kiali" },
  {
    type: "step-start",
    time: at(2200),
    task: "kiali",
    step: "oidc-secret",
    kind: "secret",
    description: "Secret kiali",
  },
  {
    type: "step-failed",
    time: at(2250),
    task: "kiali",
    step: "oidc-secret",
    error: "Cannot create Secret: KIALI_OIDC_CLIENT_SECRET is not set",
    durationMs: 50,
  },
  { type: "task-done", time: at(2251), task: "kiali", outcome: "failed", durationMs: 51 },
  { type: "task-done", time: at(2251), task: "up", outcome: "not-run", durationMs: 0 },
  {
    type: "summary",
    time: at(2260),
    ok: false,
    durationMs: 2260,
    tasks: [{ id: "kiali", outcome: "failed", durationMs: 51 }],
  },
];

Deno.test("timelineGantt() draws one section per task and one bar per step, with its wait", () => {
  assertEquals(
    timelineGantt(EVENTS),
    [
      "gantt",
      "  title meshup up",
      "  dateFormat x",
      "  axisFormat %H:%M:%S",
      "  section istio#58;base",
      "  release :done, 1748779200010, 1748779200110",
      "  section istio#58;istiod",
      "  release :1748779200120, 1748779202120",
      "  release wait :active, 1748779200900, 1748779202120",
      "  section kiali",
      "  oidc-secret :crit, 1748779202200, 1748779202250",
      "",
    ].join("\n"),
  );
});

Deno.test("timelineGantt() marks a skipped step done and a failed step crit", () => {
  const lines = timelineGantt(EVENTS).split("\n");
  assertEquals(lines.filter((l) => l.includes(":done,")), [
    "  release :done, 1748779200010, 1748779200110",
  ]);
  assertEquals(lines.filter((l) => l.includes(":crit,")), [
    "  oidc-secret :crit, 1748779202200, 1748779202250",
  ]);
});

Deno.test("timelineGantt() leaves a step without an end active until the last event", () => {
  const events = EVENTS.slice(0, 11); // istiod's release started and waited, then nothing
  assertEquals(
    timelineGantt(events, { title: "interrupted" }),
    [
      "gantt",
      "  title interrupted",
      "  dateFormat x",
      "  axisFormat %H:%M:%S",
      "  section istio#58;base",
      "  release :done, 1748779200010, 1748779200110",
      "  section istio#58;istiod",
      "  release :active, 1748779200120, 1748779201400",
      "  release wait :active, 1748779200900, 1748779201400",
      "",
    ].join("\n"),
  );
});

Deno.test("timelineGantt() escapes colons, hashes, semicolons, percents and newlines", () => {
  assertEquals(mermaidText("istio:base"), "istio#58;base");
  assertEquals(mermaidText("a#b;c%%d"), "a#35;b#59;c#37;#37;d");
  assertEquals(mermaidText("two\nlines"), "two lines");
  const text = timelineGantt([
    {
      type: "step-start",
      time: at(0),
      task: "odd: task",
      step: "step: #1",
      kind: "apply",
      description: "",
    },
    {
      type: "step-done",
      time: at(5),
      task: "odd: task",
      step: "step: #1",
      action: "applied",
      durationMs: 5,
    },
  ]);
  assertEquals(text.split("\n").slice(3), [
    "  section odd#58; task",
    "  step#58; #35;1 :1748779200000, 1748779200005",
    "",
  ]);
  // every task line has exactly one unescaped colon: the one before its data
  for (const line of text.split("\n").filter((l) => l.startsWith("  step"))) {
    assertEquals(line.split(":").length, 2);
  }
});

Deno.test("timelineGantt() of a run without steps is a chart header only", () => {
  assertEquals(
    timelineGantt([{
      type: "task-done",
      time: at(0),
      task: "up",
      outcome: "not-run",
      durationMs: 0,
    }]),
    "gantt\n  dateFormat x\n  axisFormat %H:%M:%S\n",
  );
});
