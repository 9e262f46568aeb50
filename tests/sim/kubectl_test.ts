import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { tools, until } from "./_tools.ts";
import { type Sim, type SimOptions, startSim } from "./mod.ts";
import type { KubeObject, Rec } from "./object.ts";
import { kubeconfigText } from "./kubeconfig.ts";

async function withKube(
  fn: (sim: Sim, t: Awaited<ReturnType<typeof tools>>) => Promise<void>,
  options: SimOptions = {},
): Promise<void> {
  const sim = await startSim({ readyAfterMs: 50, ...options });
  await using t = await tools(sim);
  try {
    await fn(sim, t);
    assertEquals(sim.errors, []);
  } finally {
    await sim.close();
  }
}

const MULTI = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels: {app: shop, tier: config}
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: shop, tier: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop, tier: web}}
  template:
    metadata: {labels: {app: shop, tier: web}}
    spec:
      containers: [{name: web, image: "registry.invalid/web:1"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop, labels: {app: shop, tier: agent}}
spec:
  selector: {matchLabels: {tier: agent}}
  template:
    metadata: {labels: {tier: agent}}
    spec:
      containers: [{name: agent, image: "registry.invalid/agent:1"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, labels: {app: shop, tier: db}}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {tier: db}}
  template:
    metadata: {labels: {tier: db}}
    spec:
      containers: [{name: db, image: "registry.invalid/db:1"}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: shop}}
spec:
  type: LoadBalancer
  selector: {tier: web}
  ports: [{port: 80}]
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget, shortNames: [gd]}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

const CR = `apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1, namespace: default, labels: {size: big}}
spec: {size: 3}
`;

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

Deno.test("kubectl rollout status waits for a Deployment, a DaemonSet and a StatefulSet", async () => {
  await withKube(async (sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    for (const target of ["deploy/web", "ds/agent", "sts/db"]) {
      const r = await t.kubectl(["rollout", "status", target, "-n", "shop", "--timeout=20s"]);
      assertEquals(r.code, 0, r.output);
      assertMatch(r.stdout, /successfully rolled out|roll out complete/);
    }
    assertEquals(sim.list("v1", "Pod", "shop").length, 2 + 3 + 2);
    const pvcs = sim.list("v1", "PersistentVolumeClaim", "shop");
    assertEquals(pvcs.map((p) => p.metadata.name), ["data-db-0", "data-db-1"]);
    assert(
      await until(() =>
        sim.list("v1", "PersistentVolumeClaim", "shop").every((p) =>
          (p.status as Rec).phase === "Bound"
        )
      ),
    );
    const svc = sim.get("v1", "Service", "shop", "web")!;
    assertEquals(((svc.status as Rec).loadBalancer as Rec).ingress, [{
      ip: "127.0.0.2",
      ipMode: "VIP",
    }]);
  }, { nodes: 3 });
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

Deno.test("kubectl works over TLS with the kubeconfig's CA and token, and a wrong token gets 401", async () => {
  await withKube(async (sim, t) => {
    const ok = await t.kubectl(["get", "ns", "default", "-o", "name"]);
    assertEquals([ok.code, ok.stdout.trim()], [0, "namespace/default"], ok.output);
    const bad = `${t.home}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      kubeconfigText({ server: sim.url, caPem: sim.caPem, token: "wrong" }),
    );
    const denied = await t.kubectl(["--kubeconfig", bad, "get", "ns"]);
    assertEquals(denied.code, 1);
    assertMatch(denied.stderr, /Unauthorized|must be logged in/);
    assert(sim.requests.count({ status: 401 }) > 0);
  }, { tls: true });
});

Deno.test("a one-shot 429 is retried transparently and a 500 on a chosen path is surfaced", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({
      requests: [
        {
          method: "GET",
          path: "^/api/v1/namespaces/default/configmaps$",
          status: 429,
          retryAfter: 1,
          times: 1,
        },
        {
          method: "GET",
          path: "^/api/v1/namespaces/kube-system/configmaps$",
          status: 500,
          message: "injected",
        },
      ],
    });
    const retried = await t.kubectl(["get", "cm", "-n", "default", "-o", "name"]);
    assertEquals(retried.code, 0, retried.output);
    assertEquals(
      sim.requests.count({ method: "GET", path: "^/api/v1/namespaces/default/configmaps$" }),
      2,
    );
    const failed = await t.kubectl(["get", "cm", "-n", "kube-system"]);
    assertEquals(failed.code, 1);
    assertStringIncludes(failed.stderr, "Error from server (InternalError)");
    assertStringIncludes(failed.stderr, "injected");
  });
});

Deno.test("dropped watches are resumed from the last resourceVersion until the rollout is seen", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({ watches: [{ path: "deployments$", closeAfterMs: 250 }] });
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    const r = await t.kubectl(["rollout", "status", "deploy/web", "-n", "shop", "--timeout=20s"]);
    assertEquals(r.code, 0, r.output);
    const watches = sim.requests.list({ path: "deployments$" }).filter((e) => e.watch);
    assert(watches.length >= 2, `expected a re-watch, got ${watches.length}`);
    assert(watches.some((e) => /resourceVersion=\d+/.test(e.query)), "no resumed watch");
  }, { readyDelays: { "shop/Deployment/web": 1200 } });
});

Deno.test("CrashLoopBackOff, ImagePullBackOff and Unschedulable pods show their reasons and events", async () => {
  await withKube(async (sim, t) => {
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    assert(await until(() => sim.list("v1", "Pod", "shop").length === 6, 5000));
    assert(
      await until(() => sim.list("v1", "Event", "shop").some((e) => e.reason === "BackOff"), 5000),
    );
    const pods = await t.json(["get", "pods", "-n", "shop"]);
    const reasons = new Map<string, string>();
    for (const p of pods.items as KubeObject[]) {
      const status = p.status as Rec;
      const waiting =
        ((status.containerStatuses as Rec[] | undefined)?.[0]?.state as Rec | undefined)?.waiting as
          | Rec
          | undefined;
      const scheduled = (status.conditions as Rec[]).find((c) => c.type === "PodScheduled");
      reasons.set(String(p.metadata.labels?.tier), String(waiting?.reason ?? scheduled?.reason));
      if (waiting?.reason === "CrashLoopBackOff") {
        assertEquals((status.containerStatuses as Rec[])[0].restartCount, 7);
      }
    }
    assertEquals(reasons.get("web"), "CrashLoopBackOff");
    assertEquals(reasons.get("agent"), "ImagePullBackOff");
    assertEquals(reasons.get("db"), "Unschedulable");
    const events = await t.json([
      "get",
      "events",
      "-n",
      "shop",
      "--field-selector",
      "type=Warning",
    ]);
    const seen = new Set((events.items as Rec[]).map((e) => e.reason));
    for (const reason of ["BackOff", "Failed", "FailedScheduling"]) {
      assert(seen.has(reason), `no ${reason} event`);
    }
    const rollout = await t.kubectl([
      "rollout",
      "status",
      "deploy/web",
      "-n",
      "shop",
      "--timeout=1s",
    ]);
    assertEquals(rollout.code, 1);
  }, {
    nodes: 2,
    faults: {
      objects: [
        {
          kind: "Deployment",
          namespace: "shop",
          name: "web",
          fault: "crash-loop",
          restartCount: 7,
        },
        { kind: "DaemonSet", name: "agent", fault: "image-pull-backoff" },
        { kind: "StatefulSet", name: "/^d/", fault: "unschedulable" },
      ],
    },
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

Deno.test("Jobs complete or fail, and kubectl wait sees the condition", async () => {
  await withKube(async (_sim, t) => {
    const job = (name: string): string =>
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: ${name}, namespace: default}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: "registry.invalid/job:1"}]\n`;
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], {
        stdin: `${job("ok")}---\n${job("bad")}`,
      })).code,
      0,
    );
    const done = await t.kubectl(["wait", "--for=condition=complete", "job/ok", "--timeout=10s"]);
    assertEquals(done.code, 0, done.output);
    const failed = await t.kubectl(["wait", "--for=condition=failed", "job/bad", "--timeout=10s"]);
    assertEquals(failed.code, 0, failed.output);
    const pods = await t.json(["get", "pods", "-l", "job-name=ok"]);
    assertEquals((pods.items as KubeObject[]).map((p) => (p.status as Rec).phase), ["Succeeded"]);
  }, { faults: { objects: [{ kind: "Job", name: "bad", fault: "job-failed" }] } });
});

Deno.test("request latency delays answers and a 410 on re-watch makes clients relist", async () => {
  await withKube(async (sim, t) => {
    sim.faults.set({
      requests: [{ method: "GET", path: "^/api/v1/namespaces/default$", latencyMs: 400 }],
    });
    const slow = await t.kubectl(["get", "ns", "default"]);
    assertEquals(slow.code, 0, slow.output);
    assert(slow.ms >= 400, `took ${slow.ms} ms`);
    sim.faults.set({
      watches: [
        { path: "deployments$", expireOnResume: true, times: 2 },
        { path: "deployments$", closeAfterMs: 200 },
      ],
    });
    assertEquals(
      (await t.kubectl(["apply", "--server-side", "-f", "-"], { stdin: MULTI })).code,
      0,
    );
    const r = await t.kubectl(["rollout", "status", "deploy/web", "-n", "shop", "--timeout=20s"]);
    assertEquals(r.code, 0, r.output);
    assert(sim.faults.snapshot().fired.watches[0] >= 1, "no watch was expired");
  }, { readyDelays: { "shop/Deployment/web": 1500 } });
});

Deno.test("progress deadline, stale observedGeneration and a never-Established CRD show in kubectl", async () => {
  await withKube(async (sim, t) => {
    const deploy = (name: string, image: string): string =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: c, image: "${image}"}]}\n`;
    const apply = (stdin: string): Promise<{ code: number }> =>
      t.kubectl(["apply", "--server-side", "-f", "-"], { stdin });
    assertEquals(
      (await apply(`${deploy("late", "i:1")}---\n${deploy("stale", "i:1")}---\n${CRD}`)).code,
      0,
    );
    const late = await t.kubectl(["rollout", "status", "deploy/late", "--timeout=10s"]);
    assertEquals(late.code, 1, late.output);
    assertStringIncludes(late.stderr, 'deployment "late" exceeded its progress deadline');
    assertEquals((await t.kubectl(["rollout", "status", "deploy/stale", "--timeout=10s"])).code, 0);
    assertEquals((await apply(deploy("stale", "i:2"))).code, 0);
    const stale = await t.kubectl(["rollout", "status", "deploy/stale", "--timeout=1s"]);
    assertEquals(stale.code, 1, stale.output);
    assertStringIncludes(stale.stdout, "Waiting for deployment spec update to be observed");
    const crd = await t.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/gadgets.example.com",
      "--timeout=1s",
    ]);
    assertEquals(crd.code, 1, crd.output);
    assertStringIncludes(crd.stderr, "timed out waiting for the condition");
    assertEquals(sim.registry.find("example.com", "v1", "gadgets"), undefined);
  }, {
    faults: {
      objects: [
        { kind: "Deployment", name: "late", fault: "progress-deadline" },
        { kind: "Deployment", name: "stale", fault: "stale-generation" },
        { kind: "CustomResourceDefinition", fault: "never-established" },
      ],
    },
  });
});
