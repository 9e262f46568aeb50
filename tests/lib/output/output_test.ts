import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { formatDuration } from "../../../lib/output/mod.ts";
import { Redactor } from "../../../lib/output/redact.ts";
import { capture, EVENTS, run, SECRET } from "./_run.ts";

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

Deno.test("formatDuration() shows tenths of seconds, then minutes", () => {
  assertEquals([0, 449, 12_340, 59_949, 125_000].map(formatDuration), [
    "0.0s",
    "0.4s",
    "12.3s",
    "59.9s",
    "2m05s",
  ]);
});
