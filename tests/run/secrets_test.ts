/**
 * Secrets and output on the simulator: `down` needs no secret, short
 * secrets are refused, the secret reaches no child process, `--verbose`
 * commands name files that still exist, and `--json` carries every command
 * and every error.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { REPO, withCluster } from "../_cluster.ts";

const OPENID = {
  KIALI_AUTH: "openid",
  KIALI_ISSUER_URI: "https://sso.homelab.example.com/realms/x",
};

Deno.test("down never asks for the OIDC secret", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["down", "kiali", "--yes"], {
      env: OPENID,
    });
    assertEquals(r.code, 0, r.err + r.out);
    assert(!r.err.includes("KIALI_OIDC_CLIENT_SECRET"), r.err);
  });
});

Deno.test("a secret shorter than 8 characters is refused with exit 2, naming the variable, never the value", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    const r = await c.run(["kiali"], { env: { ...OPENID, KIALI_OIDC_CLIENT_SECRET: "pw1234" } });
    assertEquals(r.code, 2);
    assertStringIncludes(r.err, "KIALI_OIDC_CLIENT_SECRET is shorter than 8 characters");
    assert(!(r.out + r.err).includes("pw1234"));
    const error = r.events.find((e) => (e.type as string) === "error") as unknown as Record<
      string,
      unknown
    >;
    assertEquals(error.code, 2);
    assertStringIncludes(String(error.message), "KIALI_OIDC_CLIENT_SECRET");
    assertEquals(
      c.sim.requests.count({ method: "POST" }) + c.sim.requests.count({ method: "PATCH" }),
      0,
    );
  });
});

Deno.test("the OIDC secret reaches no child process: the Secret is applied in process", async () => {
  await withCluster(async (c) => {
    const secret = "kubectl1";
    const r = await c.run(["kiali", "--only"], {
      env: { ...OPENID, KIALI_OIDC_CLIENT_SECRET: secret },
    });
    assertEquals(r.code, 0, r.err);
    const stored = c.sim.get("v1", "Secret", "kiali", "kiali");
    assertEquals(atob(String((stored?.data as Record<string, string>)["oidc-secret"])), secret);
    // the only way a value could reach kubectl besides argv is `-f -` on stdin
    assertEquals(r.spawned.filter((a) => a[0] === "kubectl" && a.includes("-")), []);
    for (const argv of r.spawned) assert(!argv.join(" ").includes(secret), argv.join(" "));
    // JSON output is whole although the secret is a word that occurs in it
    for (const line of r.out.trim().split("\n")) JSON.parse(line);
  });
});

Deno.test("--json announces every command the run spawned, from the first", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["istio:base", "--verbose"]);
    assertEquals(r.code, 0, r.err);
    const announced = r.events.filter((e) => e.type === "cmd").map((e) =>
      (e as { argv: string[] }).argv.join(" ")
    );
    assert(r.spawned.length > 0);
    for (const argv of r.spawned) assert(announced.includes(argv.join(" ")), argv.join(" "));
  });
});

Deno.test("the files --verbose commands name still exist after the run", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["istio:base", "--verbose", "--force"]);
    assertEquals(r.code, 0, r.err);
    const files = r.events.filter((e) => e.type === "cmd").flatMap((e) =>
      (e as { argv: string[] }).argv.filter((a) =>
        a.startsWith("/") && !a.startsWith("/tmp/meshup-home")
      )
    ).filter((a) => a.includes("/.cache/runs/"));
    assert(files.length > 0, "no run file named");
    for (const file of files) {
      assert(file.startsWith(`${REPO}/.cache/runs/`), file);
      assert((await Deno.stat(file)).isFile, file);
    }
  });
});

Deno.test("--json reports an exit-2 error before the run as a JSON event on stdout", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["up", "--config", "/nonexistent/cluster.yaml"]);
    assertEquals(r.code, 2);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 1);
    assertEquals(lines[0].type, "error");
    assertEquals(lines[0].code, 2);
    assertStringIncludes(lines[0].message, "/nonexistent/cluster.yaml");
    assertEquals(typeof lines[0].hint, "string");
  });
});
