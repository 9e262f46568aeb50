/**
 * The process runner: children in their own session, a deadline per child,
 * and a stop of every running child on request.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../_assert.ts";
import {
  DenoProcessRunner,
  HELM_GOGC,
  MissingBinaryError,
  ProcessTimeoutError,
} from "../../../lib/kube/process.ts";

/** Field 6 of /proc/PID/stat: the session id (after the command in parentheses). */
function sessionOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

Deno.test("a child runs in its own session, out of the terminal's process group", async () => {
  const runner = new DenoProcessRunner();
  const r = await runner.run(["sh", "-c", "cat /proc/$$/stat; echo $$"]);
  assertEquals(r.code, 0);
  const [stat, pid] = r.stdout.trim().split("\n");
  const ours = sessionOf(await Deno.readTextFile(`/proc/${Deno.pid}/stat`));
  assertEquals(sessionOf(stat), Number(pid));
  assert(sessionOf(stat) !== ours);
});

Deno.test("a child that outlives its deadline is killed and the error names the command", async () => {
  const runner = new DenoProcessRunner({ killGraceMs: 200 });
  const t0 = Date.now();
  const e = await assertRejects(
    () => runner.run(["sleep", "30"], { timeoutMs: 300 }),
    ProcessTimeoutError,
  );
  assert(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  assertStringIncludes(e.message, '"sleep 30"');
  assertStringIncludes(e.message, "300ms");
  assertEquals(runner.running, []);
});

Deno.test("the runner's own deadline applies to a child without one", async () => {
  const runner = new DenoProcessRunner({ timeoutMs: 200, killGraceMs: 100 });
  await assertRejects(() => runner.run(["sleep", "30"]), ProcessTimeoutError);
});

Deno.test("a deadline kills the child's whole process group, grandchildren included", async () => {
  const runner = new DenoProcessRunner({ killGraceMs: 200 });
  const marker = `meshup-grandchild-${crypto.randomUUID()}`;
  await assertRejects(
    () =>
      runner.run(["sh", "-c", `sleep 30 & echo ${marker} >/dev/null; wait`], { timeoutMs: 300 }),
    ProcessTimeoutError,
  );
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
  const left = new TextDecoder().decode(ps.stdout).split("\n").filter((l) => l.includes(marker));
  assertEquals(left, []);
});

Deno.test("stopAll() stops every running child and names what was running", async () => {
  const runner = new DenoProcessRunner({ killGraceMs: 200 });
  const a = runner.run(["sleep", "30"]);
  const b = runner.run(["sleep", "31"]);
  assertEquals(runner.running.length, 2);
  const stopped = runner.stopAll();
  assertEquals(stopped.map((p) => p.argv.join(" ")).sort(), ["sleep 30", "sleep 31"]);
  const results = await Promise.all([a, b]);
  assert(results.every((r) => r.code !== 0));
  assertEquals(runner.running, []);
});

Deno.test("an aborted signal stops the child at once", async () => {
  const runner = new DenoProcessRunner();
  const controller = new AbortController();
  const pending = runner.run(["sleep", "30"], { signal: controller.signal });
  controller.abort();
  const r = await pending;
  assert(r.code !== 0);
});

Deno.test("locate() finds an executable on PATH or by path without starting it", async () => {
  const runner = new DenoProcessRunner({ binaries: { helm: "/nonexistent/helm" } });
  assert((await runner.locate("sh"))?.endsWith("/sh"));
  assertEquals(await runner.locate("/nonexistent/helm"), undefined);
  assertEquals(await runner.locate("helm"), undefined);
  assertEquals(runner.spawned, []);
});

Deno.test("a variable named in withoutEnv reaches no child; the rest is inherited", async () => {
  Deno.env.set("MESHUP_TEST_SECRET", "a-secret-value-1");
  Deno.env.set("MESHUP_TEST_PLAIN", "plain-value");
  try {
    const runner = new DenoProcessRunner({ withoutEnv: ["MESHUP_TEST_SECRET"] });
    const r = await runner.run(["env"]);
    assertEquals(r.code, 0);
    assertEquals(r.stdout.includes("a-secret-value-1"), false);
    assertEquals(r.stdout.includes("MESHUP_TEST_PLAIN=plain-value"), true);
  } finally {
    Deno.env.delete("MESHUP_TEST_SECRET");
    Deno.env.delete("MESHUP_TEST_PLAIN");
  }
});

Deno.test("a missing executable is named, as on a plain spawn, and nothing runs", async () => {
  const runner = new DenoProcessRunner({ binaries: { helm: "/nonexistent/helm" } });
  const e = await assertRejects(() => runner.run(["helm", "version"]), MissingBinaryError);
  assertEquals(e.message, 'Cannot run "helm": executable "/nonexistent/helm" not found');
  const onPath = new DenoProcessRunner({ env: { PATH: "/nonexistent" } });
  await assertRejects(() => onPath.run(["kubectl", "version"]), MissingBinaryError);
});

Deno.test("a child's stdin, stdout, stderr and exit code pass through its own session", async () => {
  const runner = new DenoProcessRunner();
  const r = await runner.run(["sh", "-c", "cat; echo oops >&2; exit 3"], { stdin: "secret\n" });
  assertEquals(r, { code: 3, stdout: "secret\n", stderr: "oops\n" });
});

Deno.test("helm runs with GOGC=200 unless GOGC is set; other children are left alone", async () => {
  const env = "/usr/bin/env";
  const gogcOf = (stdout: string): string | undefined =>
    stdout.split("\n").find((l) => l.startsWith("GOGC="))?.slice(5);
  const plain = new DenoProcessRunner({ binaries: { helm: env, kubectl: env } });
  assertEquals(gogcOf((await plain.run(["helm"])).stdout), HELM_GOGC);
  assertEquals(gogcOf((await plain.run(["kubectl"])).stdout), undefined);
  // set for the children: kept, also beside withoutEnv
  const set = new DenoProcessRunner({ binaries: { helm: env }, env: { GOGC: "50" } });
  assertEquals(gogcOf((await set.run(["helm"])).stdout), "50");
  const without = new DenoProcessRunner({ binaries: { helm: env }, withoutEnv: ["NOTHING"] });
  assertEquals(gogcOf((await without.run(["helm"])).stdout), HELM_GOGC);
});
