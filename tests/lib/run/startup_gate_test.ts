import { assert, assertEquals } from "../../_assert.ts";
import { StartupGate } from "../../../lib/run/startup_gate.ts";

Deno.test("StartupGate: quiet() resolves at once when nothing holds it", async () => {
  const gate = new StartupGate();
  assertEquals(gate.busy, false);
  assertEquals(await gate.quiet({ maxWaitMs: 60_000 }), 0);
});

Deno.test("StartupGate: quiet() waits for the last hold to be freed", async () => {
  const gate = new StartupGate();
  const first = gate.hold();
  const second = gate.hold();
  const order: string[] = [];
  const waiting = gate.quiet({ maxWaitMs: 60_000 }).then(() => order.push("quiet"));
  first();
  first(); // freeing twice frees one hold only
  await Promise.resolve();
  order.push("first freed");
  assertEquals(gate.busy, true);
  second();
  await waiting;
  assertEquals(order, ["first freed", "quiet"]);
  assertEquals(gate.busy, false);
});

Deno.test("StartupGate: quiet() gives up after maxWaitMs, and at once on abort", async () => {
  const gate = new StartupGate();
  const free = gate.hold();
  let t = 0;
  const waited = await gate.quiet({ maxWaitMs: 5, now: () => (t += 5) });
  assert(waited > 0, "it reports how long it waited");
  const abort = new AbortController();
  const waiting = gate.quiet({ maxWaitMs: 60_000, signal: abort.signal });
  abort.abort();
  await waiting;
  assertEquals(gate.busy, true, "a waiter giving up frees nothing");
  free();
  const pre = new AbortController();
  pre.abort();
  gate.hold();
  assertEquals(await gate.quiet({ maxWaitMs: 60_000, signal: pre.signal }), 0);
});
