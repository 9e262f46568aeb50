/**
 * Ctrl-C for real: meshup runs as a child process leading its own process
 * group, as a shell's foreground job does, and the test sends SIGINT to that
 * whole group, as a terminal does. The first lets running helm finish; the
 * second stops it; both exit 130 and leave no temporary file.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { REPO, withCluster } from "../_cluster.ts";
import type { Cluster } from "../_cluster.ts";
import { kubeBinaries } from "../sim/binaries.ts";

interface Child {
  process: Deno.ChildProcess;
  output: Promise<{ code: number; stdout: string; stderr: string }>;
  /** resolves once the child's stderr contains `text` */
  said(text: string): Promise<void>;
  /** where the child's TMPDIR points */
  tmp: string;
  home: string;
}

async function spawnMeshup(c: Cluster, args: string[]): Promise<Child> {
  const bins = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "meshup-sigint-home-" });
  const tmp = await Deno.makeTempDir({ prefix: "meshup-sigint-tmp-" });
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/Taskfile.ts`, ...args],
    cwd: REPO,
    clearEnv: true,
    env: {
      ...c.env,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      TMPDIR: tmp,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      KUBECONFIG: c.kubeconfig,
      MESHUP_KUBECTL: bins.kubectl,
      MESHUP_HELM: bins.helm,
      HELM_CACHE_HOME: `${home}/.cache/helm`,
      HELM_CONFIG_HOME: `${home}/.config/helm`,
      HELM_DATA_HOME: `${home}/.local/share/helm`,
    },
    stdout: "piped",
    stderr: "piped",
    // its own process group, like a foreground job: the test plays the terminal
    ...{ detached: true },
  }).spawn();
  let stderr = "";
  const listeners: { text: string; resolve: () => void }[] = [];
  const readErr = (async () => {
    for await (const chunk of process.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      for (const l of listeners) if (stderr.includes(l.text)) l.resolve();
    }
  })();
  const readOut = new Response(process.stdout).text();
  const output = Promise.all([process.status, readOut, readErr]).then(([status, stdout]) => ({
    code: status.code,
    stdout,
    stderr,
  }));
  const said = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (stderr.includes(text)) resolve();
      else listeners.push({ text, resolve });
    });
  return { process, output, said, tmp, home };
}

/** Polls the simulator (in this process) until helm has written istiod's first release record. */
async function untilHelmRuns(c: Cluster): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (
    !c.sim.list("v1", "Secret", "istio-system").some((s) => s.metadata.labels?.name === "istiod")
  ) {
    assert(Date.now() < deadline, "helm never started on istiod");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function istiodStatus(c: Cluster): string | undefined {
  return c.sim.list("v1", "Secret", "istio-system").find((s) =>
    s.metadata.labels?.name === "istiod"
  )?.metadata.labels?.status;
}

async function cleanUp(child: Child): Promise<string[]> {
  const left: string[] = [];
  for await (const e of Deno.readDir(child.tmp)) left.push(e.name);
  await Deno.remove(child.tmp, { recursive: true });
  await Deno.remove(child.home, { recursive: true });
  return left;
}

Deno.test("a first Ctrl-C to the process group lets helm finish, starts nothing new, exits 130", async () => {
  await withCluster(async (c) => {
    const child = await spawnMeshup(c, ["istio:install", "--timeout", "60s", "--json"]);
    await untilHelmRuns(c);
    Deno.kill(-child.process.pid, "SIGINT");
    const r = await child.output;
    assertEquals(r.code, 130, r.stderr);
    assertStringIncludes(r.stderr, "Interrupted: starting nothing new");
    // helm got no SIGINT: it finished the release instead of cancelling it
    assertEquals(istiodStatus(c), "deployed");
    // ztunnel comes after istiod: it was not started
    assertEquals(
      c.sim.list("v1", "Secret", "istio-system").filter((s) =>
        s.metadata.labels?.name === "ztunnel"
      ),
      [],
    );
    assertEquals(await cleanUp(child), []);
  }, { sim: { readyAfterMs: 1500 } });
});

Deno.test("a second Ctrl-C stops the running helm, says what was left, exits 130", async () => {
  await withCluster(async (c) => {
    c.sim.faults.set({
      objects: [{
        kind: "Deployment",
        namespace: "istio-system",
        name: "istiod",
        fault: "never-ready",
      }],
    });
    const child = await spawnMeshup(c, ["istio:install", "--timeout", "60s", "--json"]);
    await untilHelmRuns(c);
    Deno.kill(-child.process.pid, "SIGINT");
    // the first is acknowledged before the second is sent
    await child.said("Interrupted:");
    Deno.kill(-child.process.pid, "SIGINT");
    const t0 = Date.now();
    const r = await child.output;
    assert(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    assertEquals(r.code, 130, r.stderr);
    // istio:cni's helm may be running beside istiod's
    assertMatch(r.stderr, /Stopping [12] running command\(s\): "helm upgrade --install"/);
    assertStringIncludes(r.stderr, "repaired by the next run");
    assertEquals(await cleanUp(child), []);
  });
});
