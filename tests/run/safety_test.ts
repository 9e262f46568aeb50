/**
 * Safety: the context is checked before anything happens, bad input applies
 * nothing, `down` needs confirmation, and the OIDC secret never leaks.
 */
import { assertEquals, assertNotIncludes, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import { main } from "../../Taskfile.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";

const writes = (c: { sim: { requests: { count(f: { method: string }): number } } }): number =>
  ["POST", "PUT", "PATCH", "DELETE"].reduce((n, method) => n + c.sim.requests.count({ method }), 0);

Deno.test("a pinned context that differs from the current one exits 2 with nothing applied", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    const r = await c.run(["up"], { env: { KUBE_CONTEXT: "production" } });
    assertEquals(r.code, 2);
    assertStringIncludes(
      r.err,
      'Refusing to run against context "sim": the config pins "production"',
    );
    assertStringIncludes(r.err, "hint:");
    assertEquals(writes(c), 0);
    assertEquals(r.spawned.filter((a) => a[1] !== "config").length, 0);
    const overridden = await c.run(["istio:base", "--only", "--context", "sim"], {
      env: { KUBE_CONTEXT: "production" },
    });
    assertEquals(overridden.code, 0, overridden.err);
  });
});

Deno.test("an unreachable cluster exits 2 with nothing applied", async () => {
  await withCluster(async (c) => {
    const kubeconfig = await Deno.makeTempFile();
    const text = (await Deno.readTextFile(c.kubeconfig)).replace(
      /server: .*/,
      "server: http://127.0.0.1:9",
    );
    await Deno.writeTextFile(kubeconfig, text);
    // the kubeconfig points at a port where nothing listens
    let err = "";
    const code = await main(["up", "--json"], {
      env: { ...c.env, KUBECONFIG: kubeconfig },
      cwd: Deno.cwd(),
      tty: false,
      proc: new DenoProcessRunner({
        binaries: await import("../sim/binaries.ts").then((m) => m.kubeBinaries()),
        env: {
          PATH: Deno.env.get("PATH") ?? "",
          HOME: await Deno.makeTempDir(),
          KUBECONFIG: kubeconfig,
        },
      }),
      io: { out: () => {}, err: (s) => void (err += s) },
    });
    assertEquals(code, 2);
    assertStringIncludes(err, "Cannot reach the cluster");
    await Deno.remove(kubeconfig);
  });
});

Deno.test("a missing kubectl exits 2 naming the binary", async () => {
  let err = "";
  const code = await main(["up", "--json"], {
    env: { CLUSTER_DOMAIN: "homelab.example.com" },
    tty: false,
    proc: new DenoProcessRunner({
      binaries: { kubectl: "/nonexistent/kubectl", helm: "/nonexistent/helm" },
    }),
    io: { out: () => {}, err: (s) => void (err += s) },
  });
  assertEquals(code, 2);
  assertStringIncludes(err, 'Cannot run "kubectl": executable "/nonexistent/kubectl" not found');
});

Deno.test("down refuses without --yes when nobody can confirm, and applies nothing", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    const r = await c.run(["down"]);
    assertEquals(r.code, 2);
    assertStringIncludes(r.err, "pass --yes");
    assertEquals(writes(c), 0);
  });
});

Deno.test("openid without its secret in the environment exits 2 before anything is applied", async () => {
  await withCluster(async (c) => {
    c.sim.requests.reset();
    const r = await c.run(["up"], {
      env: { KIALI_AUTH: "openid", KIALI_ISSUER_URI: "https://sso.homelab.example.com/realms/x" },
    });
    assertEquals(r.code, 2);
    assertStringIncludes(r.err, "environment variable KIALI_OIDC_CLIENT_SECRET is not set");
    assertEquals(writes(c), 0);
  });
});

Deno.test("the OIDC secret appears in no output, no argv, no rendered file; only in the Secret", async () => {
  await withCluster(async (c) => {
    const secret = "oidc-Sup3r-s3cret-value";
    const env = {
      KIALI_AUTH: "openid",
      KIALI_ISSUER_URI: "https://sso.homelab.example.com/realms/x",
      KIALI_OIDC_CLIENT_SECRET: secret,
    };
    const outputs: string[] = [];
    const argvs: string[][] = [];
    for (const mode of [{ json: true }, { json: false, tty: false }, { json: false, tty: true }]) {
      const r = await c.run(["kiali", "--verbose", "--force"], { env, ...mode });
      assertEquals(r.code, 0, r.err);
      outputs.push(r.out, r.err);
      argvs.push(...r.spawned);
    }
    const stored = c.sim.get("v1", "Secret", "kiali", "kiali");
    assertEquals(atob(String((stored?.data as Record<string, string>)["oidc-secret"])), secret);
    for (const text of [...outputs, ...argvs.map((a) => a.join(" "))]) {
      assertNotIncludes(text, secret);
      assertNotIncludes(text, btoa(secret));
    }
    const out = await Deno.makeTempDir();
    let rendered = "";
    await main(["render", "kiali", "--out", out], {
      env: { ...c.env, ...env },
      io: { out: () => {}, err: () => {} },
    });
    const dir = [...Deno.readDirSync(out)].find((e) => e.name.endsWith("-kiali"))!.name;
    for await (const e of Deno.readDir(`${out}/${dir}`)) {
      rendered += await Deno.readTextFile(`${out}/${dir}/${e.name}`);
    }
    assertStringIncludes(rendered, "<redacted: read from $KIALI_OIDC_CLIENT_SECRET at run time>");
    assertNotIncludes(rendered, secret);
    await Deno.remove(out, { recursive: true });
  });
});
