import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../_assert.ts";
import { main, TASKS } from "../../../Taskfile.ts";
import { ENV_OVERRIDES } from "../../../lib/config/load.ts";
import { DEFAULT_ISTIO_VERSION, DEFAULT_KIALI_VERSION } from "../../../lib/config/schema.ts";
import type { ProcessRunner } from "../../../lib/kube/process.ts";
import { VERSION } from "../../../lib/cli/version.ts";

const COMMANDS = ["plan", "render", "graph", "down", "doctor", "verify", "diff"];

/** Runs main() where any config load, process or fetch would fail the test. */
async function isolated(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cwd = await Deno.makeTempDir();
  // a config that cannot be loaded: reading it would end in exit 2
  await Deno.writeTextFile(`${cwd}/cluster.yaml`, "cluster: [not, a, map\n");
  const calls: string[] = [];
  const proc: ProcessRunner = {
    run(argv) {
      calls.push(argv.join(" "));
      throw new Error(`no process may run for --help, got: ${argv.join(" ")}`);
    },
  };
  let out = "";
  let err = "";
  try {
    const code = await main(args, {
      env: { KUBECONFIG: `${cwd}/no-such-kubeconfig` },
      cwd,
      proc,
      tty: false,
      fetchText: (url) => Promise.reject(new Error(`no fetch may happen, got ${url}`)),
      io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    });
    assertEquals(calls, []);
    return { code, out, err };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("--help lists every command and target on one line each and exits 0", async () => {
  const r = await isolated(["--help"]);
  assertEquals(r.code, 0, r.err);
  const lines = r.out.split("\n");
  for (const name of COMMANDS) {
    assert(lines.some((l) => new RegExp(`^  ${name} \\[options\\].* {2}[A-Z]`).test(l)), name);
  }
  for (const task of TASKS) {
    const line = lines.find((l) => l.startsWith(`  ${task.id} [options]`));
    assert(line, `no line for ${task.id}`);
    assertStringIncludes(line, task.description);
  }
  assertStringIncludes(r.out, "Exit codes:");
});

Deno.test("every command and target prints its help with -h or --help, touching nothing", async () => {
  for (const name of [...COMMANDS, ...TASKS.map((t) => t.id)]) {
    for (const flag of ["--help", "-h"]) {
      const r = await isolated([name, flag]);
      assertEquals(r.code, 0, `${name} ${flag}: ${r.err}`);
      assertEquals(r.err, "");
      assertStringIncludes(r.out, `Usage: deno task ${name} [options]`);
      assertStringIncludes(r.out, "Options:");
      assertMatch(r.out, /Exit codes:\n {2}0 +success\n/);
      assertMatch(r.out, /\n {2}2 +bad input or refused: nothing was applied\n/);
    }
  }
});

Deno.test("help of a run names the environment it reads and its exit codes", async () => {
  const r = await isolated(["up", "--help"]);
  for (const [name, path] of ENV_OVERRIDES) {
    assertMatch(r.out, new RegExp(`\n {2}${name} +overrides ${path}\n`));
  }
  for (const name of ["KUBECONFIG", "MESHUP_KUBECTL", "MESHUP_HELM", "KIALI_OIDC_CLIENT_SECRET"]) {
    assertMatch(r.out, new RegExp(`\n {2}${name} +\\S`));
  }
  assertMatch(r.out, /\n {2}1 +a step failed\n/);
  assertMatch(r.out, /\n {2}130 +interrupted\n/);
  for (const flag of ["--only", "--force", "--dry-run", "--timeout", "--concurrency", "--fix"]) {
    assertStringIncludes(r.out, `  ${flag}`);
  }
  // graph reads no config and no cluster: no environment section
  const graph = await isolated(["graph", "--help"]);
  assert(!graph.out.includes("Environment:"), graph.out);
  // plan reads the config, never the cluster
  const plan = await isolated(["plan", "--help"]);
  assertStringIncludes(plan.out, "CLUSTER_DOMAIN");
  assert(!plan.out.includes("KUBECONFIG"), plan.out);
});

Deno.test("--version prints meshup's version and the default Istio, Kiali and Gateway API versions", async () => {
  const r = await isolated(["--version"]);
  assertEquals(r.code, 0, r.err);
  assertEquals(
    r.out,
    `meshup ${VERSION}\nistio ${DEFAULT_ISTIO_VERSION} (default)\n` +
      `kiali-operator ${DEFAULT_KIALI_VERSION} (default)\ngateway-api v1.5.1 (default for Istio 1.30)\n`,
  );
});

Deno.test("an unknown command or flag exits 2 with a did-you-mean before any config is read", async () => {
  const cmd = await isolated(["doctr"]);
  assertEquals(cmd.code, 2);
  assertEquals(cmd.out, "");
  assertMatch(cmd.err, /^error: Unknown command "doctr"\n {2}hint: did you mean "doctor"\?/);
  const flag = await isolated(["down", "--purge-crd"]);
  assertEquals(flag.code, 2);
  assertStringIncludes(flag.err, 'Unknown option "--purge-crd" for "down"');
  assertStringIncludes(flag.err, 'did you mean "--purge-crds"?');
});

Deno.test("help of diff names its --exit-code and exit code 3, and the top-level help lists 3", async () => {
  const r = await isolated(["diff", "--help"]);
  assertEquals(r.code, 0, r.err);
  for (const flag of ["--json", "--exit-code", "--only", "--context"]) {
    assertStringIncludes(r.out, `  ${flag}`);
  }
  assertMatch(r.out, /\n {2}3 +diff --exit-code: something would change\n/);
  assert(!r.out.includes("--force"), "diff takes no --force");
  assertMatch(
    (await isolated(["--help"])).out,
    /\n {2}3 +diff --exit-code: something would change\n/,
  );
});
