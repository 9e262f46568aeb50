import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { screen } from "./_terminal.ts";
import { capture, EVENTS, SECRET } from "./_run.ts";

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
