/**
 * Day 2 against the simulator with the real kubectl and helm: drift is seen
 * and taken back (and what the cluster's controllers rewrite is not drift);
 * what an earlier plan applied and the new one does not is pruned, in a
 * safe order, and only when meshup made it.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";

type Summary = Extract<RunEvent, { type: "summary" }>;
type StepDone = Extract<RunEvent, { type: "step-done" }>;
const summary = (events: RunEvent[]): Summary =>
  events.find((e) => e.type === "summary") as Summary;
const doneSteps = (events: RunEvent[]): StepDone[] =>
  events.filter((e): e is StepDone => e.type === "step-done");

async function ok(c: Cluster, args: string[], env: Record<string, string> = {}) {
  const r = await c.run([...args, "--timeout", "60s"], { env });
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.err}\n${r.out.slice(-3000)}`);
  return r;
}

async function kubectl(c: Cluster, ...args: string[]): Promise<string> {
  const r = await c.tool(["kubectl", ...args]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("a Telemetry hand-edited to 5 % sampling is taken back by telemetry, which names the drifted field", async () => {
  await withCluster(async (c) => {
    await ok(c, ["telemetry"]);
    const sampling = (): unknown =>
      (c.sim.get("telemetry.istio.io/v1", "Telemetry", "istio-system", "mesh-default")?.spec as {
        tracing: { randomSamplingPercentage: number }[];
      }).tracing[0].randomSamplingPercentage;
    assertEquals(sampling(), 100);
    // a hand edit by another field manager, as `kubectl edit` would make it
    const live = JSON.parse(
      await kubectl(
        c,
        "get",
        "telemetry.telemetry.istio.io",
        "mesh-default",
        "-n",
        "istio-system",
        "-o",
        "json",
      ),
    );
    const tracing = live.spec.tracing.map((t: Record<string, unknown>) => ({
      ...t,
      randomSamplingPercentage: 5,
    }));
    await kubectl(
      c,
      "patch",
      "telemetry.telemetry.istio.io",
      "mesh-default",
      "-n",
      "istio-system",
      "--type=merge",
      "--field-manager=hand-edit",
      "-p",
      JSON.stringify({ spec: { tracing } }),
    );
    assertEquals(sampling(), 5);

    const r = await ok(c, ["telemetry", "--only"]);
    const corrected = doneSteps(r.events).filter((e) => e.action === "corrected");
    assertEquals(corrected.map((e) => [e.task, e.step, e.fields]), [
      ["telemetry", "tracing", ["spec.tracing"]],
    ]);
    assertEquals(corrected[0].objects, ["telemetry.istio.io/Telemetry/istio-system/mesh-default"]);
    assertEquals(sampling(), 100);
    const task = summary(r.events).tasks.find((t) => t.id === "telemetry");
    assertEquals(task?.outcome, "done");
    assertStringIncludes(task?.reason ?? "", "drift corrected: spec.tracing");

    // taken back, it is no longer drift: the next run changes nothing and starts nothing
    const again = await ok(c, ["telemetry", "--only"]);
    assertEquals(doneSteps(again.events).map((e) => e.action), []);
    assertEquals(again.spawned, []);
    assertEquals(
      summary(again.events).tasks.find((t) => t.id === "telemetry")?.outcome,
      "unchanged",
    );
  });
});
