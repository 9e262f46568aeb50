import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../_assert.ts";
import {
  ApiError,
  KubeClient,
  type KubeObject,
  UnknownKindError,
} from "../../../lib/kube/client.ts";
import { loadKubeconfig, type ResolvedKubeconfig } from "../../../lib/kube/kubeconfig.ts";
import { configMap, FAST, names, until, withClient } from "./_sim_client.ts";

Deno.test("KubeClient reads over TLS with a bearer token: version, get, list, 404, unknown kind", async () => {
  await withClient(async (kube, sim) => {
    assertEquals((await kube.version()).gitVersion, "v1.35.0");
    const ns = await kube.get({ apiVersion: "v1", kind: "Namespace", name: "kube-system" });
    assertEquals((ns?.metadata as KubeObject).name, "kube-system");
    assertEquals(await kube.get({ apiVersion: "v1", kind: "Namespace", name: "nope" }), undefined);

    sim.seed([configMap("a", "apps", { k: "1" }), configMap("b", "other", { k: "2" })]);
    const all = await kube.list({ apiVersion: "v1", kind: "ConfigMap" });
    assertEquals(names(all.items), ["a", "b"]);
    assertEquals(all.unknownKind, false);
    assert(/^\d+$/.test(all.resourceVersion));
    const one = await kube.list({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps" });
    assertEquals(names(one.items), ["a"]);
    assertEquals(one.items[0].kind, "ConfigMap");

    const gadgets = { apiVersion: "example.com/v1", kind: "Gadget" };
    assertEquals(await kube.list(gadgets), { items: [], resourceVersion: "", unknownKind: true });
    assertEquals(await kube.get({ ...gadgets, name: "g" }), undefined);
    await assertRejects(() => kube.resourcePath(gadgets), UnknownKindError);
    assertEquals(
      await kube.resourcePath({ apiVersion: "apps/v1", kind: "Deployment", name: "d" }),
      "/apis/apps/v1/namespaces/default/deployments/d",
    );
    assertEquals(
      await kube.resourcePath({ apiVersion: "v1", kind: "Node", namespace: "x", name: "n" }),
      "/api/v1/nodes/n",
    );
    assertEquals(await kube.getText("/healthz"), "ok");
  });
});

Deno.test("KubeClient finds a kind whose CRD was installed after discovery was cached", async () => {
  await withClient(async (kube, sim) => {
    const gadget = { apiVersion: "example.com/v1", kind: "Gadget", namespace: "default" };
    assertEquals((await kube.list(gadget)).unknownKind, true);
    sim.seed({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gadgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "gadgets", singular: "gadget", kind: "Gadget", listKind: "GadgetList" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: {} } }],
      },
    });
    await until(() => sim.registry.find("example.com", "v1", "gadgets") !== undefined, "CRD");
    assertEquals(
      await kube.resourcePath({ ...gadget, name: "g" }),
      "/apis/example.com/v1/namespaces/default/gadgets/g",
    );
  }, { establishAfterMs: 1 });
});

Deno.test("KubeClient presents a client certificate that the server checks; without it the handshake fails", async () => {
  await withClient(async (kube, sim) => {
    assertEquals(sim.token, undefined);
    const config = await loadKubeconfig({ path: sim.kubeconfig });
    assert(config.user.clientCertPem?.includes("BEGIN CERTIFICATE"));
    const list = await kube.list({ apiVersion: "v1", kind: "Namespace" });
    assert(names(list.items).includes("default"));

    const bare = new KubeClient(
      { ...config, user: { name: "nobody" } },
      { ...FAST, retry: { maxAttempts: 1 } },
    );
    try {
      const error = await assertRejects(() => bare.version(), ApiError);
      assertEquals(error.reason, "TLSError");
      assertEquals(error.transient, false);
      assertStringIncludes(
        error.message,
        `Cannot GET /version on ${sim.url}: TLS handshake failed`,
      );
      assertStringIncludes(error.message, "CertificateRequired");
    } finally {
      bare.close();
    }
  }, { clientCert: true });
});

Deno.test("KubeClient re-reads a token file when it changes", async () => {
  await withClient(async (_kube, sim) => {
    const dir = await Deno.makeTempDir();
    try {
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, `${sim.token}\n`);
      const config = await loadKubeconfig({ path: sim.kubeconfig });
      const kube = new KubeClient({ ...config, user: { name: "sim", tokenFile } }, FAST);
      try {
        assertEquals((await kube.version()).major, "1");
        await Deno.writeTextFile(tokenFile, "a-revoked-token-of-other-length\n");
        const error = await assertRejects(() => kube.version(), ApiError);
        assertEquals(error.status, 401);
        await Deno.writeTextFile(tokenFile, sim.token!);
        assertEquals((await kube.version()).major, "1");
      } finally {
        kube.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

async function execPlugin(dir: string, token: string, expires: string): Promise<string> {
  const script = `${dir}/plugin.sh`;
  await Deno.writeTextFile(
    script,
    [
      "#!/bin/sh",
      'echo run >> "$RUNS_FILE"',
      'printf "%s" "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"',
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",` +
      `"status":{"token":"${token}","expirationTimestamp":"${expires}"}}'`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(script, 0o755);
  return script;
}

function withExec(config: ResolvedKubeconfig, command: string, dir: string): ResolvedKubeconfig {
  return {
    ...config,
    user: {
      name: "exec-user",
      exec: {
        command,
        args: [],
        env: [
          { name: "RUNS_FILE", value: `${dir}/runs` },
          { name: "INFO_FILE", value: `${dir}/info` },
        ],
        apiVersion: "client.authentication.k8s.io/v1",
        interactiveMode: "Never",
        provideClusterInfo: true,
        dir,
      },
    },
  };
}

Deno.test("KubeClient runs an exec plugin once while its token has not expired", async () => {
  await withClient(async (_kube, sim) => {
    const dir = await Deno.makeTempDir();
    try {
      const script = await execPlugin(dir, sim.token!, "2099-01-01T00:00:00Z");
      const config = await loadKubeconfig({ path: sim.kubeconfig });
      const kube = new KubeClient(withExec(config, script, dir), FAST);
      try {
        await Promise.all([kube.version(), kube.version()]);
        await kube.list({ apiVersion: "v1", kind: "Namespace" });
        assertEquals(kube.execRuns, 1);
        assertEquals((await Deno.readTextFile(`${dir}/runs`)).trim().split("\n"), ["run"]);
        const info = JSON.parse(await Deno.readTextFile(`${dir}/info`));
        assertEquals(info.kind, "ExecCredential");
        assertEquals(info.spec.interactive, false);
        assertEquals(info.spec.cluster.server, sim.url);
      } finally {
        kube.close();
      }

      const expiring = await execPlugin(dir, sim.token!, new Date(Date.now() + 1000).toISOString());
      await Deno.remove(`${dir}/runs`);
      const again = new KubeClient(withExec(config, expiring, dir), FAST);
      try {
        await again.version();
        await again.version();
        assertEquals(again.execRuns, 2, "a token inside the expiry skew is renewed");
      } finally {
        again.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("KubeClient.apply() does server-side apply, reports a conflict, and forces it", async () => {
  await withClient(async (kube, sim) => {
    const cm = configMap("applied", "default", { k: "1" });
    const dry = await kube.apply(cm, { fieldManager: "meshup", dryRun: true });
    assertEquals((dry.metadata as KubeObject).name, "applied");
    assertEquals(sim.get("v1", "ConfigMap", "default", "applied"), undefined);

    const created = await kube.apply(cm, { fieldManager: "meshup" });
    assertEquals(created.data, { k: "1" });
    const patch = sim.requests.list({ method: "PATCH" }).at(-1)!;
    assertEquals(patch.contentType, "application/apply-patch+yaml");
    assertEquals(patch.query, "fieldManager=meshup");

    sim.faults.set({ objects: [{ kind: "ConfigMap", name: "applied", fault: "apply-conflict" }] });
    const conflict = await assertRejects(
      () => kube.apply(configMap("applied", "default", { k: "2" }), { fieldManager: "meshup" }),
      ApiError,
    );
    assertEquals([conflict.status, conflict.reason, conflict.transient], [409, "Conflict", false]);
    assertStringIncludes(conflict.message, "conflict");
    const forced = await kube.apply(configMap("applied", "default", { k: "2" }), {
      fieldManager: "meshup",
      force: true,
    });
    assertEquals(forced.data, { k: "2" });
    assertEquals(
      sim.requests.list({ method: "PATCH" }).at(-1)!.query,
      "fieldManager=meshup&force=true",
    );

    const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "applied" };
    assert(await kube.delete(ref, { propagationPolicy: "Background" }));
    assertEquals(sim.get("v1", "ConfigMap", "default", "applied"), undefined);
    assertEquals(await kube.delete(ref), undefined);
  });
});

Deno.test("KubeClient fails at its deadline on a server that accepts and never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })();
  const server = `http://127.0.0.1:${listener.addr.port}`;
  const kube = new KubeClient({
    context: "silent",
    namespace: "default",
    cluster: { name: "silent", server, insecureSkipTlsVerify: false },
    user: { name: "u" },
    files: ["/tmp/kubeconfig"],
  }, { ...FAST, timeoutMs: 300 });
  try {
    const started = Date.now();
    const error = await assertRejects(
      () => kube.list({ apiVersion: "v1", kind: "Namespace" }),
      ApiError,
    );
    const elapsed = Date.now() - started;
    assertStringIncludes(error.message, `No answer from ${server} within 300ms for GET /api/v1`);
    assertEquals([error.reason, error.transient], ["Timeout", false]);
    assert(elapsed >= 300 && elapsed < 3000, `failed after ${elapsed} ms`);
    assert(conns.length >= 1, "the request reached the listener");
  } finally {
    kube.close();
    listener.close();
    for (const conn of conns) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("KubeClient fails at once on 401 and on a refused connection, naming the server and a hint", async () => {
  await withClient(async (_kube, sim) => {
    const config = await loadKubeconfig({ path: sim.kubeconfig });
    const wrong = new KubeClient({ ...config, user: { name: "sim", token: "wrong" } }, FAST);
    try {
      const error = await assertRejects(() => wrong.version(), ApiError);
      assertEquals([error.status, error.reason, error.transient], [401, "Unauthorized", false]);
      assertStringIncludes(error.message, `Cannot GET /version on ${sim.url}: 401 Unauthorized`);
      assertStringIncludes(error.message, `hint: the credentials of user "sim" (context "sim"`);
      assertEquals(sim.requests.count({ path: "^/version$" }), 1);
    } finally {
      wrong.close();
    }
  });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = `http://127.0.0.1:${probe.addr.port}`;
  probe.close();
  const kube = new KubeClient({
    context: "gone",
    namespace: "default",
    cluster: { name: "gone", server, insecureSkipTlsVerify: false },
    user: { name: "u" },
    files: ["/home/u/.kube/config"],
  }, FAST);
  try {
    const error = await assertRejects(() => kube.version(), ApiError);
    assertEquals([error.reason, error.transient], ["ConnectionRefused", false]);
    assertStringIncludes(error.message, `Cannot GET /version on ${server}: connection refused`);
    assertStringIncludes(error.message, `context "gone" in /home/u/.kube/config`);
  } finally {
    kube.close();
  }
});

Deno.test("KubeClient retries 503 with backoff and then succeeds; concurrent callers share one client", async () => {
  const retries: string[] = [];
  await withClient(
    async (kube, sim) => {
      sim.faults.set({ requests: [{ method: "GET", path: "^/version$", status: 503, times: 2 }] });
      assertEquals((await kube.version()).major, "1");
      assertEquals(sim.requests.count({ path: "^/version$" }), 3);
      assertEquals(sim.requests.count({ path: "^/version$", status: 503 }), 2);
      assertEquals(retries, [
        "GET /version: server error (5xx)",
        "GET /version: server error (5xx)",
      ]);

      const lists = await Promise.all(
        Array.from({ length: 20 }, () => kube.list({ apiVersion: "v1", kind: "Namespace" })),
      );
      assert(lists.every((l) => l.items.length === lists[0].items.length && l.items.length >= 4));
      // built-in kinds are mapped without discovery; other kinds share one fetch
      assertEquals(sim.requests.count({ path: "^/api/v1$" }), 0, "no discovery for Namespaces");
      await Promise.all(
        Array.from(
          { length: 20 },
          () => kube.list({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" }),
        ),
      );
      assertEquals(
        sim.requests.count({ path: "^/apis/rbac.authorization.k8s.io/v1$" }),
        1,
        "discovery fetched once",
      );
    },
    {},
    {
      ...FAST,
      onRetry: (info) => retries.push(`${info.method} ${info.path}: ${info.reason}`),
    },
  );
});

Deno.test("KubeClient retries a connection closed mid-request as transient", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      await conn.read(new Uint8Array(4096)).catch(() => null);
      conn.close();
    }
  })();
  const kube = new KubeClient({
    context: "flaky",
    namespace: "default",
    cluster: {
      name: "flaky",
      server: `http://127.0.0.1:${listener.addr.port}`,
      insecureSkipTlsVerify: false,
    },
    user: { name: "u" },
    files: ["/tmp/kubeconfig"],
  }, { retry: { baseMs: 5, maxDelayMs: 20, maxAttempts: 3 } });
  try {
    const error = await assertRejects(() => kube.version(), ApiError);
    assertEquals([error.status, error.transient, error.transientReason], [
      0,
      true,
      "connection closed",
    ]);
    assertEquals(accepted, 3);
  } finally {
    kube.close();
    listener.close();
    await serving.catch(() => {});
  }
});
