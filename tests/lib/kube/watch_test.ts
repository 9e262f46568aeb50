import { assert, assertEquals } from "../../_assert.ts";
import type { KubeClient, KubeObject, WatchEventType } from "../../../lib/kube/client.ts";
import { runWatch } from "../../../lib/kube/watch.ts";
import { configMap, until, withClient } from "./_sim_client.ts";
import { settles, stuckBody } from "./_stuck_body.ts";

interface Seen {
  events: [WatchEventType, string][];
  synced: string[];
}

function startWatch(kube: KubeClient, namespace: string, options: {
  onSynced?: (count: number) => void;
} = {}): { seen: Seen; stop: () => Promise<void> } {
  const seen: Seen = { events: [], synced: [] };
  const controller = new AbortController();
  const done = kube.watch({ apiVersion: "v1", kind: "ConfigMap", namespace }, {
    signal: controller.signal,
    timeoutSeconds: 30,
    onEvent: (type, obj) => {
      seen.events.push([type, String((obj.metadata as KubeObject).name)]);
    },
    onSynced: (rv) => {
      seen.synced.push(rv);
      options.onSynced?.(seen.synced.length);
    },
  });
  return {
    seen,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

Deno.test("KubeClient.watch() resumes from the last resourceVersion when the server drops the stream", async () => {
  await withClient(async (kube, sim) => {
    sim.seed(configMap("before", "w", {}));
    sim.faults.set({ watches: [{ path: "/configmaps$", closeAfterEvents: 1, times: 1 }] });
    const watch = startWatch(kube, "w");
    try {
      await until(() => watch.seen.synced.length === 1, "the first list");
      sim.seed(configMap("one", "w", {}));
      await until(
        () => sim.requests.count({ path: "/configmaps$", query: "watch=true" }) >= 2,
        "re-watch",
      );
      sim.seed(configMap("two", "w", {}));
      await until(() => watch.seen.events.length === 3, "three events");
      assertEquals(watch.seen.events, [["ADDED", "before"], ["ADDED", "one"], ["ADDED", "two"]]);
      const watches = sim.requests.list({ path: "/configmaps$", query: "watch=true" });
      const rvs = watches.map((w) => new URLSearchParams(w.query).get("resourceVersion"));
      assertEquals(rvs[0], watch.seen.synced[0]);
      assert(Number(rvs[1]) > Number(rvs[0]), `resumed after the first event: ${rvs.join(", ")}`);
      assertEquals(sim.requests.count({ path: "/configmaps$", query: "^(?!.*watch)" }), 1);
    } finally {
      await watch.stop();
    }
  });
});

Deno.test("KubeClient.watch() relists after 410 Gone and brings the caller's state up to date", async () => {
  await withClient(async (kube, sim) => {
    sim.seed([configMap("stays", "g", {}), configMap("goes", "g", {})]);
    sim.faults.set({ watches: [{ path: "/configmaps$", expireOnResume: true, times: 1 }] });
    const watch = startWatch(kube, "g", {
      onSynced: (n) => {
        if (n !== 1) return;
        sim.api.delete(sim.registry.find("", "v1", "configmaps")!, "g", "goes");
        sim.seed(configMap("new", "g", {}));
      },
    });
    try {
      await until(() => watch.seen.synced.length === 2, "the relist");
      assertEquals(watch.seen.events, [
        ["ADDED", "goes"],
        ["ADDED", "stays"],
        ["ADDED", "new"],
        ["DELETED", "goes"],
      ]);
      sim.seed(configMap("later", "g", {}));
      await until(() => watch.seen.events.length === 5, "an event after the relist");
      assertEquals(watch.seen.events.at(-1), ["ADDED", "later"]);
    } finally {
      await watch.stop();
    }
  });
});

Deno.test("KubeClient.watch() rejects with the error its onEvent throws", async () => {
  await withClient(async (kube, sim) => {
    const controller = new AbortController();
    let synced = false;
    const done = kube.watch({ apiVersion: "v1", kind: "ConfigMap", namespace: "e" }, {
      signal: controller.signal,
      onSynced: () => synced = true,
      onEvent: (_type, obj) => {
        throw new Error(`caller broke on ${(obj.metadata as KubeObject).name}`);
      },
    });
    try {
      await until(() => synced, "the first list");
      sim.seed(configMap("boom", "e", {}));
      const error = await done.then(() => undefined, (e: Error) => e);
      assertEquals(error?.message, "caller broke on boom");
    } finally {
      controller.abort();
    }
  });
});

Deno.test("runWatch() ends when its signal aborts, even while a stream's read ignores the abort", async () => {
  const stuck = stuckBody([
    '{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}\n',
  ]);
  const stop = new AbortController();
  const seen: string[] = [];
  const watching = runWatch({
    list: () => Promise.resolve({ items: [], resourceVersion: "4", unknownKind: false }),
    collectionPath: () => Promise.resolve("/api/v1/namespaces/n/configmaps"),
    // a transport whose abort never reaches the body (what Deno's fetch sometimes does)
    open: () => Promise.resolve(stuck.res),
    statusError: () => new Error("unexpected ERROR event") as never,
    unknownKind: () => new Error("unexpected unknown kind"),
    timeoutMs: 30_000,
    backoff: { baseMs: 10, maxDelayMs: 10 },
  }, {
    signal: stop.signal,
    timeoutSeconds: 300,
    onEvent: (type, obj) => void seen.push(`${type} ${(obj.metadata as KubeObject).name}`),
  });
  await until(() => seen.length === 1, "the first event");
  stop.abort();
  await settles(watching, "the watch after its abort");
  assertEquals(seen, ["ADDED a"]);
  assert(stuck.cancelled(), "the stream's body was not cancelled");
});
