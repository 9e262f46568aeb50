/**
 * Deadlines everywhere: a server that accepts and never answers ends the run
 * at its first request; a refused connection and missing credentials fail at
 * once with a hint, never after silent retries.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { REPO, standInEnv } from "../_cluster.ts";
import { main } from "../../Taskfile.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import { startSim } from "../sim/mod.ts";

function kubeconfigFor(server: string, user: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "silent",
    clusters: [{ name: "silent", cluster: { server } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "silent", context: { cluster: "silent", user: "u" } }],
  });
}

async function runUp(
  kubeconfig: string,
  args: string[],
): Promise<{ code: number; out: string; err: string; ms: number; spawned: string[][] }> {
  const home = await Deno.makeTempDir({ prefix: "meshup-deadline-" });
  const file = `${home}/kubeconfig`;
  await Deno.writeTextFile(file, kubeconfig);
  const proc = new DenoProcessRunner({
    binaries: await kubeBinaries(),
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: home, KUBECONFIG: file },
  });
  let out = "";
  let err = "";
  const t0 = Date.now();
  try {
    const code = await main(args, {
      env: { ...standInEnv("http://127.0.0.1:9/charts"), KUBECONFIG: file, HOME: home },
      cwd: REPO,
      tty: false,
      proc,
      io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    });
    return { code, out, err, ms: Date.now() - t0, spawned: proc.spawned };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("up against a server that accepts and never answers ends at its first request, naming the server", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // read nothing, answer nothing
  })();
  const server = `http://127.0.0.1:${listener.addr.port}`;
  try {
    const r = await runUp(kubeconfigFor(server), ["up", "--timeout", "20s"]);
    assert(r.code !== 0);
    assert(r.ms < 40_000, `took ${r.ms} ms`);
    assertStringIncludes(r.err, server);
    assertMatch(r.err, /No answer from .* within \d+s for GET \//);
    assertEquals(r.spawned.filter((a) => a[1] === "upgrade"), []);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => undefined);
  }
});

Deno.test("a refused connection fails at once with a hint", async () => {
  // a port that was free a moment ago: nothing listens there
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const r = await runUp(kubeconfigFor(`http://127.0.0.1:${port}`), ["up"]);
  assertEquals(r.code, 2);
  assert(r.ms < 10_000, `took ${r.ms} ms`);
  assertStringIncludes(r.err, "connection refused");
  assertStringIncludes(r.err, "hint:");
});

Deno.test("an https kubeconfig without credentials fails at once naming the credentials", async () => {
  const sim = await startSim({ tls: true });
  try {
    const text = await Deno.readTextFile(sim.kubeconfig);
    // the same kubeconfig with the user's token removed
    const stripped = text.replace(/^\s*token:.*$/m, "");
    assert(stripped !== text);
    const r = await runUp(stripped, ["up"]);
    assertEquals(r.code, 2);
    assert(r.ms < 10_000, `took ${r.ms} ms`);
    assertStringIncludes(r.err, "401");
    assertStringIncludes(r.err, "auth whoami");
  } finally {
    await sim.close();
  }
});
