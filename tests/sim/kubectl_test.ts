import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { CR, CRD, MULTI, withKube } from "./_kubectl.ts";
import type { KubeObject, Rec } from "./object.ts";

Deno.test("kubectl apply --server-side applies a multi-document file and records the field manager", async () => {
  await withKube(async (sim, t) => {
    const r = await t.kubectl(["apply", "--server-side", "--field-manager=meshup", "-f", "-"], {
      stdin: MULTI,
    });
    assertEquals(r.code, 0, r.output);
    for (
      const line of [
        "namespace/shop",
        "configmap/settings",
        "deployment.apps/web",
        "daemonset.apps/agent",
        "statefulset.apps/db",
        "service/web",
      ]
    ) {
      assertStringIncludes(r.stdout, `${line} serverside-applied`);
    }
    const again = await t.kubectl(["apply", "--server-side", "--field-manager=meshup", "-f", "-"], {
      stdin: MULTI,
    });
    assertEquals(again.code, 0, again.output);
    const cm = sim.get("v1", "ConfigMap", "shop", "settings")!;
    assertEquals(cm.metadata.managedFields?.map((m) => [m.manager, m.operation]), [[
      "meshup",
      "Apply",
    ]]);
    const d = sim.get("apps/v1", "Deployment", "shop", "web")!;
    assertEquals(d.metadata.generation, 1);
    // a PATCH without fieldManager is a 400, as on a real server
    assertEquals(sim.requests.count({ method: "PATCH", query: /fieldManager=meshup/ }), 12);
  });
});

Deno.test("a CRD is applied, waited for with kubectl wait, then a CR of it is applied", async () => {
  await withKube(async (_sim, t) => {
    const both = await t.kubectl(["apply", "--server-side", "-f", "-"], {
      stdin: `${CRD}---\n${CR}`,
    });
    assertEquals(both.code, 1, both.output);
    assertStringIncludes(both.stderr, "ensure CRDs are installed first");
    const wait = await t.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/gadgets.example.com",
      "--timeout=10s",
    ]);
    assertEquals(wait.code, 0, wait.output);
    assertStringIncludes(wait.stdout, "condition met");
    const cr = await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: CR });
    assertEquals(cr.code, 0, cr.output);
    assertStringIncludes(cr.stdout, "gadget.example.com/g1 serverside-applied");
    const got = await t.json(["get", "gd", "g1", "-n", "default"]);
    assertEquals((got.spec as Rec).size, 3);
  }, { establishAfterMs: 100 });
});

Deno.test("kubectl get -o json honours label and field selectors, and label overwrites", async () => {
  await withKube(async (_sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    const web = await t.json([
      "get",
      "deploy,cm",
      "-n",
      "shop",
      "-l",
      "app=shop,tier in (web,config)",
    ]);
    const kinds = (web.items as KubeObject[]).map((o) => `${o.kind}/${o.metadata.name}`);
    assertEquals(kinds, ["Deployment/web", "ConfigMap/settings"]);
    const byName = await t.json(["get", "cm", "-A", "--field-selector", "metadata.name=settings"]);
    assertEquals((byName.items as KubeObject[]).map((o) => o.metadata.namespace), ["shop"]);
    const missing = await t.kubectl(["get", "cm", "nope", "-n", "shop"]);
    assertEquals(missing.code, 1);
    assertStringIncludes(
      missing.stderr,
      'Error from server (NotFound): configmaps "nope" not found',
    );
    const label = await t.kubectl([
      "label",
      "ns",
      "shop",
      "istio.io/dataplane-mode=ambient",
      "--overwrite",
    ]);
    assertEquals(label.code, 0, label.output);
    const ns = await t.json(["get", "ns", "-l", "istio.io/dataplane-mode=ambient"]);
    assertEquals((ns.items as KubeObject[]).map((o) => o.metadata.name), ["shop"]);
  });
});

Deno.test("kubectl delete removes objects and a namespace with its contents", async () => {
  await withKube(async (sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    await t.kubectl(["rollout", "status", "deploy/web", "-n", "shop", "--timeout=20s"]);
    const cm = await t.kubectl(["delete", "cm", "settings", "-n", "shop"]);
    assertEquals(cm.code, 0, cm.output);
    assertStringIncludes(cm.stdout, 'configmap "settings" deleted');
    const deploy = await t.kubectl(["delete", "deploy", "web", "-n", "shop", "--timeout=10s"]);
    assertEquals(deploy.code, 0, deploy.output);
    assertEquals(sim.list("apps/v1", "ReplicaSet", "shop").length, 0);
    const ns = await t.kubectl(["delete", "ns", "shop", "--timeout=20s"]);
    assertEquals(ns.code, 0, ns.output);
    assertStringIncludes(ns.stdout, 'namespace "shop" deleted');
    assertEquals(sim.get("v1", "Namespace", undefined, "shop"), undefined);
    assertEquals(sim.list("v1", "Pod", "shop").length, 0);
  });
});

Deno.test("a server-side apply conflict fails with the --force-conflicts advice, and forcing wins", async () => {
  await withKube(async (_sim, t) => {
    const cm = (value: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {k: "${value}"}\n`;
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "--field-manager=a", "-f", "-"], {
        stdin: cm("1"),
      })).code,
      0,
    );
    const same = await t.kubectl(["apply", "--server-side", "--field-manager=b", "-f", "-"], {
      stdin: cm("1"),
    });
    assertEquals(same.code, 0, same.output);
    const clash = await t.kubectl(["apply", "--server-side", "--field-manager=b", "-f", "-"], {
      stdin: cm("2"),
    });
    assertEquals(clash.code, 1);
    assertStringIncludes(clash.stderr, 'conflict with "a"');
    assertStringIncludes(clash.stderr, "--force-conflicts");
    const forced = await t.kubectl([
      "apply",
      "--server-side",
      "--field-manager=b",
      "--force-conflicts",
      "-f",
      "-",
    ], { stdin: cm("2") });
    assertEquals(forced.code, 0, forced.output);
  });
});

Deno.test("kubectl create sends protobuf Namespaces, ConfigMaps and Secrets, which are decoded", async () => {
  await withKube(async (sim, t) => {
    for (
      const args of [
        ["create", "namespace", "p"],
        ["create", "configmap", "c", "-n", "p", "--from-literal=a=b"],
        ["create", "secret", "generic", "s", "-n", "p", "--from-literal=k=v"],
      ]
    ) {
      const r = await t.kubectl(args);
      assertEquals(r.code, 0, r.output);
    }
    assertEquals((sim.get("v1", "ConfigMap", "p", "c")!.data as Rec).a, "b");
    assertEquals((sim.get("v1", "Secret", "p", "s")!.data as Rec).k, "dg==");
    const protobuf = sim.requests.list({ method: "POST" }).filter((e) =>
      e.contentType.includes("protobuf")
    );
    assertEquals(protobuf.length, 3);
  });
});

Deno.test("client-side kubectl apply and kubectl diff work against the simulator", async () => {
  await withKube(async (_sim, t) => {
    const cm = (v: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: csa, namespace: default}\ndata: {k: "${v}"}\n`;
    const created = await t.kubectl(["apply", "-f", "-"], { stdin: cm("1") });
    assertEquals(created.code, 0, created.output);
    assertStringIncludes(created.stdout, "configmap/csa created");
    const diff = await t.kubectl(["diff", "--server-side", "--force-conflicts", "-f", "-"], {
      stdin: cm("2"),
    });
    assertEquals(diff.code, 1, diff.output);
    assertStringIncludes(diff.stdout, '+  k: "2"');
    const configured = await t.kubectl(["apply", "-f", "-"], { stdin: cm("2") });
    assertEquals(configured.code, 0, configured.output);
    assertStringIncludes(configured.stdout, "configmap/csa configured");
    const same = await t.kubectl(["diff", "--server-side", "-f", "-"], { stdin: cm("2") });
    assertEquals(same.code, 0, same.output);
  });
});

Deno.test("aggregated discovery answers kubectl without per-group requests", async () => {
  await withKube(async (sim, t) => {
    const r = await t.kubectl(["api-resources", "-o", "name"]);
    assertEquals(r.code, 0, r.output);
    assertStringIncludes(r.stdout, "deployments.apps");
    const apply = await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI });
    assertEquals(apply.code, 0, apply.output);
    assertEquals(sim.requests.count({ path: "^/apis/[^/]+/[^/]+$" }), 0);
  }, { aggregatedDiscovery: true });
});
