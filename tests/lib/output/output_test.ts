import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import type { RunEvent } from "../../../lib/output/events.ts";
import { createOutput, formatDuration, type OutputOptions } from "../../../lib/output/mod.ts";
import { Redactor } from "../../../lib/output/redact.ts";
import { screen } from "./_terminal.ts";

const SECRET = "oidc-Sup3r-s3cret";

function at(clock: string): string {
  return `2025-06-01T${clock}Z`;
}

/** A run of `up`: one task done, one unchanged, one failing after retries and waits. */
const EVENTS: RunEvent[] = [
  {
    type: "plan",
    time: at("12:03:04.000"),
    target: "up",
    tasks: [
      {
        id: "gateway-api",
        deps: [],
        steps: [{ id: "crds", kind: "apply", description: "Gateway API CRDs v1.3.0" }],
      },
      {
        id: "istio:base",
        deps: ["gateway-api"],
        steps: [{ id: "release", kind: "helm-release", description: "istio/base 1.28.0" }],
      },
      {
        id: "istio:istiod",
        deps: ["istio:base"],
        steps: [
          { id: "release", kind: "helm-release", description: "istio/istiod 1.28.0" },
          { id: "rollout", kind: "wait", description: "istiod ready" },
        ],
      },
      {
        id: "kiali",
        deps: ["istio:istiod"],
        steps: [{ id: "oidc-secret", kind: "secret", description: "Secret kiali" }],
      },
    ],
  },
  {
    type: "context",
    time: at("12:03:04.000"),
    context: "home-lab",
    server: "https://10.0.0.1:6443",
  },
  { type: "task-start", time: at("12:03:04.000"), task: "gateway-api" },
  {
    type: "step-start",
    time: at("12:03:04.010"),
    task: "gateway-api",
    step: "crds",
    kind: "apply",
    description: "Gateway API CRDs v1.3.0",
  },
  {
    type: "cmd",
    time: at("12:03:04.020"),
    task: "gateway-api",
    step: "crds",
    argv: ["kubectl", "apply", "--server-side", "--field-manager=meshup", "-f", "-"],
  },
  {
    type: "wait",
    time: at("12:03:04.500"),
    task: "gateway-api",
    step: "crds",
    pending: [{
      ref: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name: "gateways.gateway.networking.k8s.io",
      },
      status: "InProgress",
      message: "Install in progress",
    }],
  },
  {
    type: "step-done",
    time: at("12:03:05.510"),
    task: "gateway-api",
    step: "crds",
    action: "applied",
    durationMs: 1500,
  },
  {
    type: "task-done",
    time: at("12:03:05.520"),
    task: "gateway-api",
    outcome: "done",
    durationMs: 1520,
  },
  { type: "task-start", time: at("12:03:05.530"), task: "istio:base" },
  {
    type: "step-skip",
    time: at("12:03:05.600"),
    task: "istio:base",
    step: "release",
    reason: "unchanged (fingerprint 3f2a9c)",
  },
  {
    type: "task-done",
    time: at("12:03:05.610"),
    task: "istio:base",
    outcome: "unchanged",
    durationMs: 80,
  },
  { type: "task-start", time: at("12:03:05.620"), task: "istio:istiod" },
  {
    type: "step-start",
    time: at("12:03:05.630"),
    task: "istio:istiod",
    step: "release",
    kind: "helm-release",
    description: "istio/istiod 1.28.0",
  },
  {
    type: "cmd",
    time: at("12:03:05.640"),
    task: "istio:istiod",
    step: "release",
    argv: [
      "helm",
      "upgrade",
      "--install",
      "istiod",
      "istiod",
      "--set",
      `pilot.env.TOKEN=${SECRET}`,
    ],
  },
  {
    type: "retry",
    time: at("12:03:06.000"),
    task: "istio:istiod",
    step: "release",
    attempt: 1,
    delayMs: 500,
    reason: "another helm operation in progress",
  },
  {
    type: "step-done",
    time: at("12:03:07.000"),
    task: "istio:istiod",
    step: "release",
    action: "installed",
    durationMs: 1370,
  },
  {
    type: "step-start",
    time: at("12:03:07.010"),
    task: "istio:istiod",
    step: "rollout",
    kind: "wait",
    description: "istiod ready",
  },
  ...[8, 10, 12.9, 13, 14, 18.5].map((s): RunEvent => ({
    type: "wait",
    time: at(
      `12:03:${String(Math.floor(s)).padStart(2, "0")}.${
        String(Math.round((s % 1) * 1000)).padStart(3, "0")
      }`,
    ),
    task: "istio:istiod",
    step: "rollout",
    pending: [
      {
        ref: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "istiod",
          namespace: "istio-system",
        },
        status: "InProgress",
        message: `Available: 0/1`,
      },
      {
        ref: { apiVersion: "v1", kind: "Service", name: "istiod", namespace: "istio-system" },
        status: "InProgress",
        message: "x",
      },
    ],
  })),
  {
    type: "step-failed",
    time: at("12:03:19.000"),
    task: "istio:istiod",
    step: "rollout",
    error:
      'Cannot ready "istiod": not ready after 12s: pod istiod-7f9 CrashLoopBackOff (last event: Back-off restarting failed container)',
    durationMs: 11990,
  },
  {
    type: "task-done",
    time: at("12:03:19.010"),
    task: "istio:istiod",
    outcome: "failed",
    durationMs: 13390,
  },
  {
    type: "log",
    time: at("12:03:19.020"),
    level: "warn",
    message: `not running kiali: istio:istiod failed (secret ${SECRET} unused)`,
    task: "kiali",
  },
  {
    type: "summary",
    time: at("12:03:19.030"),
    ok: false,
    durationMs: 15030,
    tasks: [
      { id: "gateway-api", outcome: "done", durationMs: 1520 },
      { id: "istio:base", outcome: "unchanged", durationMs: 80 },
      {
        id: "istio:istiod",
        outcome: "failed",
        durationMs: 13390,
        reason: 'Cannot ready "istiod": not ready after 12s',
      },
      { id: "kiali", outcome: "not-run", durationMs: 0 },
    ],
  },
];

function capture(
  mode: "tty" | "plain" | "json",
  options: OutputOptions = {},
): { out: string[]; err: string[]; output: ReturnType<typeof createOutput> } {
  const out: string[] = [];
  const err: string[] = [];
  const output = createOutput(mode, {
    write: (s) => out.push(s),
    writeError: (s) => err.push(s),
    now: () => new Date(at("12:03:10.000")),
    utc: true,
    color: false,
    ...options,
  });
  return { out, err, output };
}

function run(mode: "tty" | "plain" | "json", options: OutputOptions = {}): string {
  const { out, output } = capture(mode, options);
  for (const e of EVENTS) output.emit(e);
  output.close();
  return out.join("");
}

Deno.test("createOutput('json') writes exactly one JSON.stringify(event) line per event", () => {
  strictEqual(run("json"), EVENTS.map((e) => JSON.stringify(e) + "\n").join(""));
  const lines = run("json").trimEnd().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines, EVENTS);
});

Deno.test("createOutput('plain') writes timestamped lines, throttled waits and a summary", () => {
  assertEquals(run("plain").split("\n"), [
    "12:03:04 plan up: 4 tasks, 5 steps",
    "12:03:04 context home-lab at https://10.0.0.1:6443",
    "12:03:04 gateway-api   crds         Gateway API CRDs v1.3.0",
    "12:03:04 gateway-api   crds         waiting for crd/gateways.gateway.networking.k8s.io: Install in progress",
    "12:03:05 gateway-api   crds         applied in 1.5s",
    "12:03:05 gateway-api                done in 1.5s",
    "12:03:05 istio:base    release      skipped: unchanged (fingerprint 3f2a9c)",
    "12:03:05 istio:base                 unchanged in 0.1s",
    "12:03:05 istio:istiod  release      istio/istiod 1.28.0",
    "12:03:06 istio:istiod  release      attempt 1 failed (another helm operation in progress), retrying in 0.5s",
    "12:03:07 istio:istiod  release      installed in 1.4s",
    "12:03:07 istio:istiod  rollout      istiod ready",
    "12:03:08 istio:istiod  rollout      waiting for deploy/istiod: Available: 0/1 (+1 more)",
    "12:03:13 istio:istiod  rollout      waiting for deploy/istiod: Available: 0/1 (+1 more)",
    "12:03:18 istio:istiod  rollout      waiting for deploy/istiod: Available: 0/1 (+1 more)",
    '12:03:19 istio:istiod  rollout      failed after 12.0s: Cannot ready "istiod": not ready after 12s: ' +
    "pod istiod-7f9 CrashLoopBackOff (last event: Back-off restarting failed container)",
    "12:03:19 istio:istiod               failed in 13.4s",
    `12:03:19 kiali                      warning: not running kiali: istio:istiod failed (secret ${SECRET} unused)`,
    "task          outcome    duration",
    "gateway-api   done           1.5s",
    "istio:base    unchanged      0.1s",
    'istio:istiod  failed        13.4s  Cannot ready "istiod": not ready after 12s',
    "kiali         not run           -",
    "up: 1 done, 1 unchanged, 1 failed, 1 not run in 15.0s",
    "",
  ]);
});

Deno.test("createOutput('plain') shows commands only when verbose", () => {
  const lines = run("plain", { verbose: true }).split("\n");
  strictEqual(
    lines.includes(
      "12:03:04 gateway-api   crds         $ kubectl apply --server-side --field-manager=meshup -f -",
    ),
    true,
  );
  strictEqual(run("plain").includes("$ kubectl"), false);
});

Deno.test("createOutput() never writes a registered secret in any mode", () => {
  for (const mode of ["plain", "json", "tty"] as const) {
    const redactor = new Redactor();
    redactor.add(SECRET);
    const { out, err, output } = capture(mode, { redactor, verbose: true });
    for (const e of EVENTS) output.emit(e);
    output.print(`token: ${SECRET}`);
    output.error(`Cannot create "kiali": value ${SECRET} rejected`, { hint: `unset ${SECRET}` });
    output.close();
    const text = out.join("") + err.join("");
    strictEqual(text.includes(SECRET), false, mode);
    strictEqual(text.includes(btoa(SECRET)), false, mode);
    strictEqual(text.includes("<redacted>"), true, mode);
  }
  // The events themselves are left untouched.
  strictEqual(JSON.stringify(EVENTS).includes(SECRET), true);
});

Deno.test("createOutput('json') redacts inside the JSON and keeps it valid", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  const { out, output } = capture("json", { redactor });
  for (const e of EVENTS) output.emit(e);
  const events = out.join("").trimEnd().split("\n").map((l) => JSON.parse(l));
  strictEqual(events.length, EVENTS.length);
  const cmd = events.find((e) => e.type === "cmd" && e.task === "istio:istiod");
  assertEquals(cmd.argv.at(-1), "pilot.env.TOKEN=<redacted>");
});

Deno.test("error() prints a Deno-style error and hint on stderr", () => {
  for (const mode of ["plain", "json", "tty"] as const) {
    const { out, err, output } = capture(mode);
    output.error('Cannot install "istiod": helm exited with 1', {
      hint: "kubectl -n istio-system get events",
    });
    assertEquals(err, [
      'error: Cannot install "istiod": helm exited with 1\n  hint: kubectl -n istio-system get events\n',
    ]);
    // issue 9: under --json the error is also an event on stdout
    if (mode !== "json") strictEqual(out.join(""), "");
  }
  const { err, output } = capture("plain");
  output.error("Config file not found");
  assertEquals(err, ["error: Config file not found\n"]);
});

Deno.test("error() colours its labels only when colour is on", () => {
  const { err, output } = capture("tty", { color: true });
  output.error("boom", { hint: "try again" });
  strictEqual(
    err.join(""),
    "\x1b[31m\x1b[1merror\x1b[22m\x1b[39m: boom\n  \x1b[36mhint\x1b[39m: try again\n",
  );
});

Deno.test("print() writes to stdout, except in json mode where stdout is reserved", () => {
  const plain = capture("plain");
  plain.output.print("manifests written to out/");
  assertEquals(plain.out, ["manifests written to out/\n"]);
  const json = capture("json");
  json.output.print("manifests written to out/");
  assertEquals([json.out, json.err], [[], ["manifests written to out/\n"]]);
});

Deno.test("createOutput('tty') draws a live tree of tasks, steps and what they wait for", () => {
  const { out, output } = capture("tty");
  const upTo = EVENTS.findIndex((e) => e.type === "wait" && e.task === "istio:istiod");
  for (const e of EVENTS.slice(0, upTo + 1)) output.emit(e);
  assertEquals(screen(out.join("")), [
    "meshup up: 4 tasks",
    "context home-lab at https://10.0.0.1:6443",
    "✓ gateway-api  done 1.5s",
    "– istio:base  unchanged 0.1s",
    "⠋ istio:istiod  4.4s",
    "  ✓ release  installed 1.4s",
    "  ⠋ rollout  istiod ready  3.0s",
    "      waiting for deploy/istiod: Available: 0/1 (+1 more)",
    "· queued: kiali",
  ]);
  output.tick();
  const frame = screen(out.join(""));
  strictEqual(frame[4], "⠙ istio:istiod  4.4s");
  strictEqual(frame[6], "  ⠙ rollout  istiod ready  3.0s");
  output.close();
});

Deno.test("createOutput('tty') collapses finished tasks and ends with the summary", () => {
  const { out, output } = capture("tty");
  for (const e of EVENTS) output.emit(e);
  output.close();
  const raw = out.join("");
  assertEquals(screen(raw), [
    "meshup up: 4 tasks",
    "context home-lab at https://10.0.0.1:6443",
    "✓ gateway-api  done 1.5s",
    "– istio:base  unchanged 0.1s",
    "✗ istio:istiod  failed 13.4s",
    '  ✗ rollout: Cannot ready "istiod": not ready after 12s: pod istiod-7f9 CrashLoopBackOff ' +
    "(last event: Back-off restarting failed container)",
    `warning: not running kiali: istio:istiod failed (secret ${SECRET} unused)`,
    "task          outcome    duration",
    "gateway-api   done           1.5s",
    "istio:base    unchanged      0.1s",
    'istio:istiod  failed        13.4s  Cannot ready "istiod": not ready after 12s',
    "kiali         not run           -",
    "up: 1 done, 1 unchanged, 1 failed, 1 not run in 15.0s",
  ]);
  strictEqual(raw.includes("\x1b[?25l"), true);
  strictEqual(raw.endsWith("\x1b[?25h"), true);
});

Deno.test("createOutput('tty') cuts live lines to the terminal width", () => {
  const { out, output } = capture("tty", { columns: 40, color: true });
  const upTo = EVENTS.findIndex((e) => e.type === "wait" && e.task === "istio:istiod");
  for (const e of EVENTS.slice(0, upTo + 1)) output.emit(e);
  output.close();
  const live = screen(out.join("")).slice(-4);
  for (const line of live) {
    // deno-lint-ignore no-control-regex -- stripping ANSI sequences
    const visible = [...line.replace(/\x1b\[[0-9;]*m/g, "")].length;
    strictEqual(visible <= 39, true, line);
  }
  strictEqual(live.some((l) => l.includes("…")), true);
});

Deno.test("createOutput('tty') spins with a real timer only until close()", async () => {
  const { out, output } = capture("tty", { spinnerMs: 1 });
  output.emit(EVENTS[0]);
  output.emit(EVENTS[2]);
  const before = out.length;
  await new Promise((resolve) => setTimeout(resolve, 5));
  strictEqual(out.length > before, true);
  output.close();
  const after = out.length;
  await new Promise((resolve) => setTimeout(resolve, 3));
  strictEqual(out.length, after);
});

Deno.test("formatDuration() shows tenths of seconds, then minutes", () => {
  assertEquals([0, 449, 12_340, 59_949, 125_000].map(formatDuration), [
    "0.0s",
    "0.4s",
    "12.3s",
    "59.9s",
    "2m05s",
  ]);
});
