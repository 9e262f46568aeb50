/**
 * The in-process API client in a whole run: over TLS with a client
 * certificate that the simulator checks, reads cost no process; a
 * kubeconfig the client cannot serve falls back to kubectl with a notice.
 */
import { assert, assertEquals } from "../_assert.ts";
import { countCmd, insecureKubeconfig, withCluster } from "../_cluster.ts";

function kubectlReads(spawned: string[][]): number {
  return spawned.filter((a) => a[0] === "kubectl" && a[1] === "get").length;
}

Deno.test("a run over TLS with a checked client certificate reads in process: helm is its only process", async () => {
  await withCluster(async (c) => {
    assert(c.sim.clientCert, "the simulator requires a client certificate");
    const first = await c.run(["istio:base", "--only"]);
    assertEquals(first.code, 0, first.err);
    assertEquals(countCmd(first.spawned, "helm", "upgrade"), 1);
    assertEquals(first.spawned.filter((a) => a[0] === "kubectl").length, 0);
    assert(c.sim.requests.count({ method: "GET" }) > 0);
    const again = await c.run(["istio:base", "--only"]);
    assertEquals(again.code, 0, again.err);
    assertEquals(again.spawned, [], "a no-op re-run spawns nothing");
  }, { sim: { clientCert: true } });
});

Deno.test("a kubeconfig with insecure-skip-tls-verify is read through kubectl, with a one-line notice", async () => {
  await withCluster(async (c) => {
    const dir = await Deno.makeTempDir();
    const kubeconfig = await insecureKubeconfig(c, dir);
    // meshup reads this kubeconfig; the stand-in tools keep the simulator's own
    const r = await c.run(["istio:base", "--only"], { env: { KUBECONFIG: kubeconfig } });
    assertEquals(r.code, 0, r.err);
    const notices = r.events.filter((e) => e.type === "log" && /through kubectl/.test(e.message));
    assertEquals(notices.length, 1);
    assert(kubectlReads(r.spawned) > 0, "reads went through kubectl");
    await Deno.remove(dir, { recursive: true });
  }, { sim: { tls: true } });
});
