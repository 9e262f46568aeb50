import { stringify } from "yaml";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../_assert.ts";
import { clientSupport } from "../../../lib/kube/client_support.ts";
import {
  KubeconfigError,
  loadKubeconfig,
  type ResolvedKubeconfig,
} from "../../../lib/kube/kubeconfig.ts";
import { makeClientCert, makeTlsMaterial } from "../../sim/tls.ts";

function config(
  clusters: Record<string, Record<string, unknown>>,
  users: Record<string, Record<string, unknown>>,
  contexts: Record<string, Record<string, unknown>>,
  current?: string,
): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: Object.entries(clusters).map(([name, cluster]) => ({ name, cluster })),
    users: Object.entries(users).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(contexts).map(([name, context]) => ({ name, context })),
    ...(current ? { "current-context": current } : {}),
  });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kubeconfig-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadKubeconfig() merges a KUBECONFIG list like kubectl: first file wins, missing files skipped", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.writeTextFile(`${dir}/a/ca.pem`, "CA FROM FILE\n");
    await Deno.writeTextFile(
      `${dir}/a/config`,
      config(
        { one: { server: "https://one.example:6443/", "certificate-authority": "ca.pem" } },
        { admin: { tokenFile: "token" } },
        { first: { cluster: "one", user: "admin", namespace: "apps" } },
        "first",
      ),
    );
    await Deno.writeTextFile(
      `${dir}/config2`,
      config(
        { one: { server: "https://shadowed.example" }, two: { server: "https://two.example" } },
        { admin: { token: "shadowed" }, other: { token: "t2" } },
        { second: { cluster: "two", user: "other" } },
        "second",
      ),
    );
    const env = { KUBECONFIG: `${dir}/missing:${dir}/a/config:${dir}/config2` };
    const first = await loadKubeconfig({ env });
    assertEquals(first.context, "first");
    assertEquals(first.namespace, "apps");
    assertEquals(first.cluster.server, "https://one.example:6443");
    assertEquals(first.cluster.caPem, "CA FROM FILE\n");
    assertEquals(first.user.tokenFile, `${dir}/a/token`);
    assertEquals(first.user.token, undefined);
    assertEquals(first.files, [`${dir}/a/config`, `${dir}/config2`]);

    const second = await loadKubeconfig({ env, context: "second" });
    assertEquals(second.cluster.server, "https://two.example");
    assertEquals(second.user.token, "t2");
    assertEquals(second.namespace, "default");
  });
});

Deno.test("loadKubeconfig() reads ~/.kube/config without KUBECONFIG and decodes the -data fields", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/.kube`);
    await Deno.writeTextFile(
      `${dir}/.kube/config`,
      config(
        {
          c: {
            server: "https://c.example",
            "certificate-authority-data": btoa("CA PEM"),
            "proxy-url": "http://proxy:3128",
          },
        },
        {
          u: {
            "client-certificate-data": btoa("CERT PEM"),
            "client-key-data": btoa("KEY PEM"),
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "./plugin",
              args: ["get-token"],
              env: [{ name: "A", value: "b" }],
            },
          },
        },
        { x: { cluster: "c", user: "u" } },
        "x",
      ),
    );
    const resolved = await loadKubeconfig({ env: { HOME: dir } });
    assertEquals(resolved.cluster.caPem, "CA PEM");
    assertEquals(resolved.cluster.proxyUrl, "http://proxy:3128");
    assertEquals(resolved.user.clientCertPem, "CERT PEM");
    assertEquals(resolved.user.clientKeyPem, "KEY PEM");
    assertEquals(resolved.user.exec?.command, `${dir}/.kube/plugin`);
    assertEquals(resolved.user.exec?.args, ["get-token"]);
    assertEquals(resolved.user.exec?.env, [{ name: "A", value: "b" }]);
    assertEquals(resolved.user.exec?.interactiveMode, "IfAvailable");
  });
});

Deno.test("loadKubeconfig() rejects a malformed file with one line naming it", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/broken`;
    await Deno.writeTextFile(file, "clusters: [\n  - name: x\n  cluster: {server: \n");
    const error = await assertRejects(() => loadKubeconfig({ path: file }), KubeconfigError);
    assertStringIncludes(error.message, `"${file}" is not a valid kubeconfig: `);
    assertEquals(error.message.includes("\n"), false);
    assertEquals(error.file, file);

    await Deno.writeTextFile(file, "clusters: {a: 1}\n");
    const shape = await assertRejects(() => loadKubeconfig({ path: file }), KubeconfigError);
    assertEquals(shape.message, `"${file}" is not a valid kubeconfig: clusters is not a list`);
  });
});

Deno.test("loadKubeconfig() names the known contexts when the wanted one is missing", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/config`;
    await Deno.writeTextFile(
      file,
      config({ c: { server: "https://c" } }, { u: {} }, { a: { cluster: "c", user: "u" } }, "a"),
    );
    const error = await assertRejects(
      () => loadKubeconfig({ path: file, context: "nope" }),
      KubeconfigError,
    );
    assertEquals(
      error.message,
      `Cannot use context "nope": not found in "${file}" (contexts: "a")`,
    );
    const missing = await assertRejects(
      () => loadKubeconfig({ path: `${dir}/absent` }),
      KubeconfigError,
    );
    assertStringIncludes(missing.message, `Cannot read kubeconfig "${dir}/absent": no such file`);
  });
});

function resolved(
  cluster: Partial<ResolvedKubeconfig["cluster"]>,
  user: Partial<ResolvedKubeconfig["user"]>,
): ResolvedKubeconfig {
  return {
    context: "ctx",
    namespace: "default",
    cluster: { name: "c", server: "https://c.example", insecureSkipTlsVerify: false, ...cluster },
    user: { name: "u", ...user },
    files: ["/tmp/config"],
  };
}

Deno.test("clientSupport() refuses insecure-skip-tls-verify and an X.509 v1 client certificate", async () => {
  const tls = await makeTlsMaterial({ clientCert: true });
  const v1 = await makeClientCert(tls.caKey!, { v1: true });

  assertEquals(
    clientSupport(resolved({}, { clientCertPem: tls.client!.certPem, clientKeyPem: "k" })),
    { ok: true },
  );
  assertEquals(clientSupport(resolved({}, { token: "t" })), { ok: true });

  const insecure = clientSupport(resolved({ insecureSkipTlsVerify: true }, { token: "t" }));
  assertEquals(insecure.ok, false);
  assert(!insecure.ok);
  assertStringIncludes(insecure.reason, "insecure-skip-tls-verify");

  const old = clientSupport(resolved({}, { clientCertPem: v1.certPem, clientKeyPem: v1.keyPem }));
  assert(!old.ok);
  assertEquals(
    old.reason,
    `context "ctx" has an X.509 v1 client certificate, which Deno's TLS refuses`,
  );

  const garbage = clientSupport(resolved({}, { clientCertPem: "nonsense", clientKeyPem: "k" }));
  assert(!garbage.ok);
  assertStringIncludes(garbage.reason, "cannot be parsed");
});
