import { assertEquals } from "../_assert.ts";
import { call, cm, withSim } from "./_calls.ts";
import type { Rec } from "./object.ts";

/** Reads a watch stream line by line. */
class WatchReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(res: Response) {
    this.#reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or undefined when the stream ends. */
  async next(): Promise<Rec | undefined> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += value;
    }
    const at = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, at);
    this.#buffer = this.#buffer.slice(at + 1);
    return JSON.parse(line);
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

Deno.test("watch-list sends ADDED events, the end bookmark, then MODIFIED for every write", async () => {
  await withSim(async (sim) => {
    sim.seed([cm("a", { app: "x" }), cm("b", { app: "y" })]);
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=app%3Dx&timeoutSeconds=30`,
    );
    const watch = new WatchReader(res);
    try {
      const added = await watch.next();
      assertEquals([added?.type, ((added?.object as Rec).metadata as Rec).name], ["ADDED", "a"]);
      const bookmark = await watch.next();
      assertEquals(bookmark?.type, "BOOKMARK");
      assertEquals(
        (((bookmark?.object as Rec).metadata as Rec).annotations as Rec)[
          "k8s.io/initial-events-end"
        ],
        "true",
      );
      await call(
        sim,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        { data: { k: "2" } },
        "application/merge-patch+json",
      );
      assertEquals((await watch.next())?.type, "MODIFIED");
      // leaving the selector is a DELETED, entering it an ADDED
      await call(sim, "PATCH", "/api/v1/namespaces/default/configmaps/a", {
        metadata: { labels: { app: "z" } },
      }, "application/merge-patch+json");
      assertEquals((await watch.next())?.type, "DELETED");
      await call(sim, "PATCH", "/api/v1/namespaces/default/configmaps/b", {
        metadata: { labels: { app: "x" } },
      }, "application/merge-patch+json");
      assertEquals((await watch.next())?.type, "ADDED");
    } finally {
      await watch.close();
    }
  });
});

Deno.test("a watch resumes from a resourceVersion, and a compacted one gets 410 Expired", async () => {
  await withSim(async (sim) => {
    sim.seed(cm("a"));
    const rv = sim.store.resourceVersion;
    sim.seed(cm("b"));
    sim.seed(cm("c"));
    sim.faults.set({ watches: [{ closeAfterEvents: 2, times: 1 }] });
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=30`,
    );
    const watch = new WatchReader(res);
    const names: string[] = [];
    for (let e = await watch.next(); e; e = await watch.next()) {
      names.push(String(((e.object as Rec).metadata as Rec).name));
    }
    assertEquals(names, ["b", "c"]);
    await (await fetch(`${sim.url}/__sim/compact`, { method: "POST" })).body?.cancel();
    const old = new WatchReader(
      await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`),
    );
    const error = await old.next();
    assertEquals([error?.type, (error?.object as Rec).code], ["ERROR", 410]);
    assertEquals(await old.next(), undefined);
  });
});
