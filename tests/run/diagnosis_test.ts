/**
 * Failures a user can act on, on the simulator with the real helm: a pod
 * that crash-loops fails its step early (during helm --wait too), the
 * running step shows what it waits for, the terminal shows the diagnosis,
 * and the next run retries the failed release.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";

const failure = (events: RunEvent[]): string =>
  (events.find((e) => e.type === "step-failed") as { error: string } | undefined)?.error ?? "";

const CRASHING_ISTIOD = {
  objects: [{
    kind: "Deployment",
    namespace: "istio-system",
    name: "istiod",
    fault: "crash-loop" as const,
    restartCount: 7,
  }],
};

Deno.test("a crash-looping pod stops helm --wait early; the step shows what it waited for; the next run retries", async () => {
  await withCluster(async (c) => {
    await c.run(["istio:base"]);
    c.sim.faults.set(CRASHING_ISTIOD);
    const t0 = Date.now();
    const r = await c.run(["istio:istiod", "--only", "--timeout", "120s"]);
    const took = Date.now() - t0;
    assertEquals(r.code, 1, r.err);
    assert(took < 60_000, `took ${took} ms: waited for the timeout`);
    const error = failure(r.events);
    assertStringIncludes(error, "CrashLoopBackOff restarted 7 times");
    assertStringIncludes(error, "restarts 7");
    assertStringIncludes(error, "kubectl -n istio-system logs pod/istiod-");
    // during helm --wait the step reported what it waited for
    const waits = r.events.filter((e) => e.type === "wait" && e.step === "release");
    assert(waits.length > 0, "no wait event during helm --wait");
    assert(
      waits.some((e) =>
        e.type === "wait" &&
        e.pending.some((p) => p.ref.name === "istiod" && p.ref.kind === "Deployment")
      ),
    );

    // the user fixes the cause: the fault goes, and so do the crashing pods
    c.sim.faults.clear();
    const deleted = await c.tool([
      "kubectl",
      "delete",
      "pods",
      "-n",
      "istio-system",
      "-l",
      "app=istiod",
      "--wait=false",
    ]);
    assertEquals(deleted.code, 0, deleted.stderr);
    const again = await c.run(["istio:istiod", "--only", "--timeout", "60s"]);
    assertEquals(again.code, 0, failure(again.events) + again.err);
    const release = again.events.find((e) =>
      e.type === "step-done" && e.task === "istio:istiod" && e.step === "release"
    );
    assert(release, "the failed release was skipped instead of retried");
    assertEquals((release as { action: string }).action, "repaired");
  });
});

Deno.test("the terminal view shows the same diagnosis as plain output for a failed step", async () => {
  await withCluster(async (c) => {
    await c.run(["istio:base"]);
    c.sim.faults.set(CRASHING_ISTIOD);
    const json = await c.run(["istio:istiod", "--only", "--timeout", "60s"]);
    const tty = await c.run(["istio:istiod", "--only", "--timeout", "60s"], {
      json: false,
      tty: true,
    });
    const plain = await c.run(["istio:istiod", "--only", "--timeout", "60s"], {
      json: false,
      tty: false,
    });
    for (const r of [json, tty, plain]) assertEquals(r.code, 1);
    // each line up to its first parenthesis (the simulator's messages vary from run to run)
    const lines = failure(json.events).split("\n").map((l) => l.trim().split(" (")[0]).filter((
      l,
    ) => l.startsWith("pod ") || l.startsWith("hint: kubectl") || l === "last events:");
    assert(lines.length >= 3, failure(json.events));
    for (const line of lines) {
      assertStringIncludes(plain.out, line);
      assertStringIncludes(tty.out, line);
    }
  });
});
