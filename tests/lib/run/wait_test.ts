import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import type { Kube } from "../../../lib/kube/kube.ts";
import type { ObjectState } from "../../../lib/output/events.ts";
import type { ObjectRef } from "../../../lib/plan/plan.ts";
import { PodGrace } from "../../../lib/run/pod_grace.ts";
import { WaitFailedError, waitReady, watchWorkloads } from "../../../lib/run/wait.ts";

type Obj = Record<string, unknown>;
type Handler = (type: string, obj: Obj) => void;

/** A Kube whose watches are fed by the test. */
function fakeKube(): { kube: Kube; send(kind: string, obj: Obj, type?: string): void } {
  const handlers: { kind: string; onObject: Handler }[] = [];
  const kube = {
    watch(query: { kind: string }, o: { signal: AbortSignal; onObject: Handler }) {
      handlers.push({ kind: query.kind, onObject: o.onObject });
      return new Promise<void>((resolve) => {
        if (o.signal.aborted) resolve();
        o.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    },
    podsAndEvents() {
      return Promise.resolve({ pods: [], events: [] });
    },
  } as unknown as Kube;
  return {
    kube,
    send(kind, obj, type = "MODIFIED") {
      for (const h of handlers) if (h.kind === kind) h.onObject(type, obj);
    },
  };
}

const WEB: ObjectRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "web",
  namespace: "apps",
};

function deployment(ready: number): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "apps", uid: "d1", generation: 1 },
    spec: { replicas: 1 },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions: ready > 0 ? [{ type: "Available", status: "True" }] : [],
    },
  };
}

function pod(reason: string, restarts: number, created = new Date().toISOString()): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-5d8f7-abcde",
      namespace: "apps",
      uid: "p1",
      creationTimestamp: created,
      ownerReferences: [{ kind: "ReplicaSet", name: "web-5d8f7" }],
    },
    status: {
      phase: reason === "CrashLoopBackOff" ? "Running" : "Pending",
      containerStatuses: [{
        name: "app",
        restartCount: restarts,
        state: { waiting: { reason } },
      }],
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

Deno.test("waitReady() fails a workload whose new pod crash-loops past the restart limit, long before the timeout", async () => {
  const { kube, send } = fakeKube();
  const t0 = Date.now();
  const waiting = waitReady(kube, [WEB], { timeoutMs: 60_000, subject: "apps/web" });
  await tick();
  send("Deployment", deployment(0));
  send("Pod", pod("CrashLoopBackOff", 5));
  const error = await waiting.then(() => undefined, (e) => e);
  strictEqual(error instanceof WaitFailedError, true, String(error));
  strictEqual(
    (error as Error).message.startsWith(
      'Cannot ready "apps/web": Deployment web failed: pod web-5d8f7-abcde CrashLoopBackOff restarted 5 times',
    ),
    true,
    (error as Error).message,
  );
  strictEqual(Date.now() - t0 < 5_000, true);
});

Deno.test("waitReady() fails an image that cannot be pulled once the grace has passed", async () => {
  const { kube, send } = fakeKube();
  const progress: ObjectState[][] = [];
  const waiting = waitReady(kube, [WEB], {
    timeoutMs: 60_000,
    subject: "apps/web",
    podGraceMs: 40,
    onProgress: (p) => progress.push(p),
  });
  await tick();
  send("Deployment", deployment(0));
  send("Pod", pod("ErrImagePull", 0));
  send("Pod", pod("ImagePullBackOff", 0));
  // no further event arrives: the grace's own timer ends the wait
  const error = await waiting.then(() => undefined, (e) => e) as Error;
  strictEqual(error instanceof WaitFailedError, true, String(error));
  strictEqual(
    /pod web-5d8f7-abcde ImagePullBackOff for \d+s/.test(error.message),
    true,
    error.message,
  );
  assertEquals(progress[0][0].message, "Available: 0/1");
});

Deno.test("waitReady() lets a crash-looping pod recover within the grace", async () => {
  const { kube, send } = fakeKube();
  const waiting = waitReady(kube, [WEB], {
    timeoutMs: 5_000,
    subject: "apps/web",
    podGraceMs: 10_000,
  });
  await tick();
  send("Deployment", deployment(0));
  send("Pod", pod("CrashLoopBackOff", 1));
  send("Deployment", deployment(1));
  await waiting;
});

Deno.test("an old pod that crash-loops counts only by the grace: a repair gets its chance", () => {
  const start = Date.parse("2025-06-01T12:00:00Z");
  const grace = new PodGrace({ startedAt: start, graceMs: 30_000 });
  grace.observe(pod("CrashLoopBackOff", 9, "2025-06-01T11:00:00Z"), start);
  strictEqual(grace.failure(start + 29_000), undefined);
  strictEqual(grace.failure(start + 30_000)?.message.includes("CrashLoopBackOff for 30s"), true);
  // a different reason starts the grace again
  grace.observe(pod("ImagePullBackOff", 9, "2025-06-01T11:00:00Z"), start + 31_000);
  strictEqual(grace.failure(start + 40_000), undefined);
  strictEqual(grace.nextDeadline(), start + 61_000);
});

Deno.test("watchWorkloads() reports progress while helm waits and returns the pod failure that should stop it", async () => {
  const { kube, send } = fakeKube();
  const progress: string[] = [];
  const stop = new AbortController();
  const watching = watchWorkloads(kube, [WEB], {
    timeoutMs: 60_000,
    subject: "apps/web",
    signal: stop.signal,
    onProgress: (p) => progress.push(p.map((s) => `${s.ref.name}: ${s.message}`).join(", ")),
  });
  await tick();
  send("Deployment", deployment(0));
  send("Pod", pod("CrashLoopBackOff", 6));
  const failure = await watching;
  strictEqual(failure instanceof WaitFailedError, true);
  assertEquals(progress[0], "web: Available: 0/1");
  strictEqual(failure!.message.includes("CrashLoopBackOff restarted 6 times"), true);
});

Deno.test("watchWorkloads() ends with nothing when its caller stops it", async () => {
  const { kube, send } = fakeKube();
  const stop = new AbortController();
  const watching = watchWorkloads(kube, [WEB], {
    timeoutMs: 1,
    subject: "apps/web",
    signal: stop.signal,
  });
  await tick();
  send("Deployment", deployment(0));
  stop.abort();
  strictEqual(await watching, undefined);
});
