import { assertEquals } from "../_assert.ts";
import { Scheduler } from "./scheduler.ts";

/** Resolves once the work queued before it has run (work due at once runs in order). */
const drained = (s: Scheduler): Promise<void> => new Promise((r) => s.after(0, r));

Deno.test("work due at once runs in order; a keyed one is kept, replaced or cancelled", async () => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.after(0, () => ran.push("a"));
  s.after(0, () => ran.push("b"), { key: "k" });
  s.after(0, () => ran.push("kept out"), { key: "k" });
  s.after(0, () => ran.push("cancelled"), { key: "x" });
  s.cancel("x");
  s.after(0, () => ran.push("replaced"), { key: "y" });
  s.after(-5, () => ran.push("c"), { key: "y", replace: true });
  assertEquals(s.pending, 3);
  await drained(s);
  assertEquals(ran, ["a", "b", "c"]);
  assertEquals(s.pending, 0);
  s.close();
});

Deno.test("close() drops work due at once and timers alike", async () => {
  const s = new Scheduler();
  const ran: string[] = [];
  s.after(0, () => ran.push("now"));
  s.after(0, () => ran.push("keyed"), { key: "k" });
  s.after(10, () => ran.push("later"));
  s.close();
  assertEquals(s.pending, 0);
  s.after(0, () => ran.push("after close"));
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(ran, []);
});

Deno.test("a failing callback reaches onError and the rest still runs", async () => {
  const errors: unknown[] = [];
  const s = new Scheduler((e) => errors.push(e));
  const ran: string[] = [];
  s.after(0, () => {
    throw new Error("boom");
  });
  s.after(0, () => ran.push("next"));
  await drained(s);
  assertEquals([ran, errors.map((e) => (e as Error).message)], [["next"], ["boom"]]);
  s.close();
});
