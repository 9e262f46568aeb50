/**
 * Waiting on what an operator makes, on the simulator with the real helm:
 * with no Kiali operator playing, `kiali` waits for deploy/kiali naming
 * kiali-operator, and its timeout shows the operator's pod, the Kiali CR's
 * (missing) conditions and the operator's last log lines read through the
 * API.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import { waitingText } from "../../lib/output/_text.ts";

Deno.test("a wait for what an operator makes names it, and its timeout shows the operator's pod, the CR and its logs", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["kiali", "--timeout", "5s"]);
    assertEquals(r.code, 1, r.out.slice(-2000));
    const waits = r.events.filter((e) => e.type === "wait" && e.step === "server");
    const lines = waits.map((e) => e.type === "wait" ? waitingText(e.pending) : "");
    assert(
      lines.includes(
        "waiting for deploy/kiali: not created yet (made by deploy/kiali-operator from " +
          "kiali.io/Kiali/kiali/kiali)",
      ),
      `no progress line named the operator: ${lines.join("; ")}`,
    );
    const failed = r.events.find((e) => e.type === "step-failed" && e.step === "server");
    assert(failed && failed.type === "step-failed", r.out.slice(-2000));
    const error = failed.error;
    assertStringIncludes(error, 'made by Deployment "kiali-operator"');
    assertStringIncludes(error, "pod kiali-operator-");
    assertStringIncludes(error, "Kiali kiali/kiali has no status conditions");
    assertStringIncludes(error, "last log lines of pod kiali-operator-");
    assertStringIncludes(error, '"Options.Kind":"Kiali"');
    assertStringIncludes(error, "kubectl -n kiali logs deploy/kiali-operator --tail=50");
  }, { sim: { operators: false } });
});
