/**
 * `verify --strict` against the simulator after `up`, with the real kubectl
 * and helm: a plaintext client outside the mesh reaches productpage under
 * PERMISSIVE, STRICT refuses it, and whatever happens the user's
 * PeerAuthentications come back; in process, or through kubectl when the
 * in-process client cannot serve the kubeconfig.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { type Cluster, insecureKubeconfig, withCluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import { parseConfig } from "../../lib/config/config.ts";
import { runVerify } from "../../lib/checks/verify/mod.ts";
import { withKube } from "./_verify.ts";

/** Kiali plays no part in the mesh checks. */
const ENV = { KIALI_ENABLED: "false" };

async function up(c: Cluster): Promise<void> {
  const r = await c.run(["up"], { env: ENV });
  assertEquals(r.code, 0, `${r.err}\n${r.out.slice(-2000)}`);
}

const PA = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication" };

/** The user's own namespace-wide PeerAuthentication, which --strict must give back. */
const USER_PA = {
  ...PA,
  metadata: { name: "default", namespace: "book-info", labels: { team: "books" } },
  spec: { mtls: { mode: "PERMISSIVE" } },
};

/** Nothing of --strict is left, and the user's PeerAuthentication is back as it was. */
function assertRestored(c: Cluster): void {
  const pas = c.sim.list(PA.apiVersion, PA.kind, "book-info");
  assertEquals(pas.map((p) => p.metadata.name), ["default"]);
  assertEquals(pas[0].metadata.labels?.team, "books");
  assertEquals((pas[0].spec as Record<string, unknown>).mtls, { mode: "PERMISSIVE" });
  assertEquals(c.sim.get("v1", "ConfigMap", "book-info", "meshup-verify-strict-backup"), undefined);
  const clients = c.sim.list("v1", "Namespace").filter((n) =>
    n.metadata.labels?.["meshup.dev/verify-strict"] === "client" && !n.metadata.deletionTimestamp
  );
  assertEquals(clients.map((n) => n.metadata.name), []);
}

Deno.test("verify --strict: a plaintext client reaches productpage, STRICT refuses it, the user's PeerAuthentication comes back and the lock is released", async () => {
  await withCluster(async (c) => {
    await up(c);
    c.sim.seed(USER_PA);
    const r = await c.run(["verify", "--strict", "--address", "127.0.0.1:1"], { env: ENV });
    const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as { checks: CheckResult[] };
    const strict = report.checks.find((x) => x.id === "mesh-strict");
    assert(strict, r.out);
    assertEquals(strict.status, "pass", `${strict.detail}\n${r.err}`);
    assertMatch(
      strict.detail,
      /reached http:\/\/productpage\.book-info\.svc\.cluster\.local:9080\/productpage \(PERMISSIVE\)/,
    );
    assertStringIncludes(
      strict.detail,
      "refused once PeerAuthentication book-info/meshup-verify-strict was STRICT (curl exit code 56)",
    );
    assertStringIncludes(strict.detail, "1 of your PeerAuthentications restored");
    assertRestored(c);
    // the client Pods ran curl in a namespace outside the mesh
    const created = c.sim.requests.list().filter((q) =>
      q.method === "POST" && /\/pods$/.test(q.path)
    );
    assertEquals(created.length, 2, JSON.stringify(created.map((q) => q.path)));
    const lease = c.sim.get("coordination.k8s.io/v1", "Lease", "kube-system", "meshup");
    assert(lease, "verify --strict takes the run lock");
    assertEquals((lease.spec as Record<string, unknown>).holderIdentity, "");
  });
});

Deno.test("verify --strict fails when STRICT does not stop the plaintext client (bookinfo out of ambient)", async () => {
  await withCluster(async (c) => {
    await up(c);
    const r = await c.tool([
      "kubectl",
      "label",
      "namespace",
      "book-info",
      "istio.io/dataplane-mode-",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const results = await withKube(
      c.kubeconfig,
      (kube) =>
        runVerify(kube, parseConfig(undefined, { env: { ...c.env, ...ENV } }), {
          address: "127.0.0.1:1",
          timeoutMs: 500,
          strict: { strictAttempts: 2 },
        }),
    );
    const strict = results.find((x) => x.id === "mesh-strict");
    assert(strict);
    assertEquals(strict.status, "fail");
    assertStringIncludes(strict.detail, "still reached");
    assertStringIncludes(strict.hint ?? "", "istio.io/dataplane-mode=ambient");
    assertEquals(c.sim.list(PA.apiVersion, PA.kind, "book-info").length, 0);
  });
});

Deno.test("verify --strict interrupted after the positive control still restores the user's PeerAuthentication", async () => {
  await withCluster(async (c) => {
    await up(c);
    c.sim.seed(USER_PA);
    const stop = new AbortController();
    let sawStrictWindow = false;
    const results = await withKube(
      c.kubeconfig,
      (kube) =>
        runVerify(kube, parseConfig(undefined, { env: { ...c.env, ...ENV } }), {
          address: "127.0.0.1:1",
          timeoutMs: 500,
          hooks: { signal: stop.signal },
          strict: {
            onPositive: () => {
              // mid-way: the user's policy is in the backup, ours is in place
              sawStrictWindow =
                c.sim.get("v1", "ConfigMap", "book-info", "meshup-verify-strict-backup") !==
                  undefined &&
                c.sim.get(PA.apiVersion, PA.kind, "book-info", "default") === undefined;
              stop.abort();
            },
          },
        }),
    );
    assert(sawStrictWindow);
    const strict = results.find((x) => x.id === "mesh-strict");
    assert(strict);
    assertEquals(strict.status, "fail");
    assertEquals(strict.detail, "interrupted");
    assertRestored(c);
  });
});

Deno.test("verify --strict first restores what a killed run left: the backup, our STRICT policy, the client namespace", async () => {
  await withCluster(async (c) => {
    await up(c);
    const ours = { "app.kubernetes.io/managed-by": "meshup" };
    c.sim.seed([
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "meshup-verify-strict-backup",
          namespace: "book-info",
          labels: { ...ours, "meshup.dev/verify-strict": "backup" },
        },
        data: { "peerauthentications.json": JSON.stringify([USER_PA]) },
      },
      {
        ...PA,
        metadata: {
          name: "meshup-verify-strict",
          namespace: "book-info",
          labels: { ...ours, "meshup.dev/verify-strict": "policy" },
        },
        spec: { mtls: { mode: "STRICT" } },
      },
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "meshup-verify-strict-old",
          labels: { ...ours, "meshup.dev/verify-strict": "client" },
        },
      },
    ]);
    const results = await withKube(
      c.kubeconfig,
      (kube) =>
        runVerify(kube, parseConfig(undefined, { env: { ...c.env, ...ENV } }), {
          address: "127.0.0.1:1",
          timeoutMs: 500,
          strict: true,
        }),
    );
    const strict = results.find((x) => x.id === "mesh-strict");
    assert(strict);
    assertEquals(strict.status, "pass", strict.detail);
    assertStringIncludes(strict.detail, "an earlier run's backup was restored first");
    assertRestored(c);
  });
});

Deno.test("verify --strict through kubectl, for a kubeconfig the in-process client cannot serve, proves STRICT and restores", async () => {
  await withCluster(async (c) => {
    await up(c);
    c.sim.seed(USER_PA);
    const dir = await Deno.makeTempDir();
    const kubeconfig = await insecureKubeconfig(c, dir);
    try {
      const r = await c.run(["verify", "--strict", "--address", "127.0.0.1:1"], {
        env: { ...ENV, KUBECONFIG: kubeconfig },
      });
      const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as { checks: CheckResult[] };
      const strict = report.checks.find((x) => x.id === "mesh-strict");
      assert(strict, r.out);
      assertEquals(strict.status, "pass", `${strict.detail}\n${r.err}`);
      assertStringIncludes(strict.detail, "1 of your PeerAuthentications restored");
      assertRestored(c);
      // the writes were kubectl's, and the lock was taken and released
      assert(
        r.spawned.some((a) =>
          a[0] === "kubectl" && a[1] === "apply" && a.includes("--server-side")
        ),
      );
      assert(r.spawned.some((a) => a[0] === "kubectl" && a[1] === "create"));
      const lease = c.sim.get("coordination.k8s.io/v1", "Lease", "kube-system", "meshup");
      assertEquals((lease?.spec as Record<string, unknown>).holderIdentity, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { sim: { tls: true } });
});
