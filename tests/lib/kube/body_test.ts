import { assertEquals, assertRejects } from "../../_assert.ts";
import { readBytes, readText } from "../../../lib/kube/body.ts";
import { settles, stuckBody } from "./_stuck_body.ts";

Deno.test("readText() gives the whole body, across chunks and multi-byte characters", async () => {
  const bytes = new TextEncoder().encode("Grüße, ");
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, 3)); // splits "ü"
      controller.enqueue(bytes.slice(3));
      controller.enqueue(new TextEncoder().encode("Welt"));
      controller.close();
    },
  });
  assertEquals(await readText(new Response(stream)), "Grüße, Welt");
  assertEquals((await readBytes(new Response("abc"))).length, 3);
});

Deno.test("readText() rejects with the signal's reason when it aborts during a read the body never answers", async () => {
  const { res } = stuckBody(['{"kind":']);
  const deadline = new AbortController();
  const reading = readText(res, deadline.signal);
  // the first chunk is read; the next read waits on a body that never answers
  await Promise.resolve();
  deadline.abort(new Error("deadline of GET /api/v1/pods passed"));
  const error = await settles(assertRejects(() => reading), "readText after its signal aborted");
  assertEquals(error.message, "deadline of GET /api/v1/pods passed");
});

Deno.test("readText() of an already aborted signal rejects at once", async () => {
  const { res } = stuckBody();
  const error = await settles(
    assertRejects(() => readText(res, AbortSignal.abort(new Error("gone")))),
    "readText with an aborted signal",
  );
  assertEquals(error.message, "gone");
});
