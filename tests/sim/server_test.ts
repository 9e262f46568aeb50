import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { until } from "./_tools.ts";
import {
  encodeSecretProtobuf,
  helmReleaseSecret,
  type KubeObject,
  type Sim,
  startSim,
} from "./mod.ts";
import type { Rec } from "./object.ts";

const enc = new TextEncoder();

function note(line: string): void {
  Deno.stderr.writeSync(enc.encode(`${line}\n`));
}

async function withSim(
  fn: (sim: Sim) => Promise<void>,
  options: Parameters<typeof startSim>[0] = {},
): Promise<void> {
  const sim = await startSim({ readyAfterMs: 20, ...options });
  try {
    await fn(sim);
    assertEquals(sim.errors, []);
  } finally {
    await sim.close();
  }
}

async function call(
  sim: Sim,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<{ status: number; json: Rec; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body: body === undefined
      ? undefined
      : body instanceof Uint8Array
      ? (body as Uint8Array<ArrayBuffer>)
      : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {}, headers: res.headers };
}

/** Reads a watch stream line by line. */
class WatchReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(res: Response) {
    this.#reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or undefined when the stream ends. */
  async next(): Promise<Rec | undefined> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += value;
    }
    const at = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, at);
    this.#buffer = this.#buffer.slice(at + 1);
    return JSON.parse(line);
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

const cm = (name: string, labels: Record<string, string> = {}, namespace = "default"): Rec => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels },
  data: { k: name },
});

Deno.test("startSim() starts quickly and close() leaves nothing running", async () => {
  const started = performance.now();
  const sim = await startSim();
  const ms = performance.now() - started;
  note(`sim startup: ${ms.toFixed(1)} ms`);
  const tlsStarted = performance.now();
  const tlsSim = await startSim({ tls: true });
  note(`sim startup with TLS: ${(performance.now() - tlsStarted).toFixed(1)} ms`);
  await tlsSim.close();
  const res = await call(sim, "GET", "/version");
  assertEquals(res.json.gitVersion, "v1.35.0");
  await sim.close();
  await sim.close();
});

Deno.test("GET /version reports the configured serverVersion and OpenAPI is v2-empty, v3-absent", async () => {
  await withSim(async (sim) => {
    const v = await call(sim, "GET", "/version");
    assertEquals([v.json.major, v.json.minor, v.json.gitVersion], ["1", "29", "v1.29.4"]);
    const v2 = await fetch(`${sim.url}/openapi/v2`);
    assertEquals([v2.status, (await v2.arrayBuffer()).byteLength], [200, 0]);
    const v3 = await fetch(`${sim.url}/openapi/v3`);
    await v3.body?.cancel();
    assertEquals(v3.status, 404);
  }, { serverVersion: "v1.29.4" });
});

Deno.test("discovery lists built-in groups, and a CRD's group once it is Established", async () => {
  await withSim(async (sim) => {
    const groups = await call(sim, "GET", "/apis");
    const names = (groups.json.groups as Rec[]).map((g) => g.name);
    for (
      const g of ["apps", "batch", "apiextensions.k8s.io", "rbac.authorization.k8s.io", "policy"]
    ) {
      assert(names.includes(g), `missing group ${g}`);
    }
    const core = await call(sim, "GET", "/api/v1");
    const resources = (core.json.resources as Rec[]).map((r) => r.name);
    assert(resources.includes("pods/status") && resources.includes("secrets"));
    await call(sim, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gadgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Gadget", plural: "gadgets" },
        versions: [{ name: "v1", served: true, storage: true, subresources: { status: {} } }],
      },
    });
    assert(await until(() => sim.registry.find("example.com", "v1", "gadgets") !== undefined));
    const crd = sim.get(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      undefined,
      "gadgets.example.com",
    )!;
    const established = ((crd.status as Rec).conditions as Rec[]).find((c) =>
      c.type === "Established"
    );
    assertEquals(established?.status, "True");
    const gv = await call(sim, "GET", "/apis/example.com/v1");
    assertEquals((gv.json.resources as Rec[]).map((r) => r.name), ["gadgets", "gadgets/status"]);
    const created = await call(sim, "POST", "/apis/example.com/v1/namespaces/default/gadgets", {
      apiVersion: "example.com/v1",
      kind: "Gadget",
      metadata: { name: "g1" },
      spec: { size: 1 },
      status: { ignored: true },
    });
    assertEquals(created.status, 201);
    assertEquals((created.json.metadata as Rec).generation, 1);
    assertEquals(created.json.status, undefined);
    const deleted = await call(
      sim,
      "DELETE",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com",
    );
    assertEquals(deleted.status, 200);
    assertEquals(sim.registry.find("example.com", "v1", "gadgets"), undefined);
    assertEquals(sim.store.list("example.com/gadgets").length, 0);
  });
});

Deno.test("lists honour label and field selectors, across namespaces too", async () => {
  await withSim(async (sim) => {
    sim.seed([cm("a", { app: "x", tier: "web" }), cm("b", { app: "x" }), cm("c", { app: "y" })]);
    sim.seed({
      ...cm("d", { app: "x" }),
      metadata: { name: "d", namespace: "other", labels: { app: "x" } },
    });
    const names = async (path: string): Promise<string[]> =>
      ((await call(sim, "GET", path)).json.items as KubeObject[]).map((o) => o.metadata.name!);
    assertEquals(await names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx"), [
      "a",
      "b",
    ]);
    assertEquals(await names("/api/v1/configmaps?labelSelector=app%3Dx"), ["a", "b", "d"]);
    assertEquals(await names("/api/v1/configmaps?labelSelector=app%3Dx,!tier"), ["b", "d"]);
    assertEquals(await names("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother"), ["d"]);
    assertEquals(
      await names("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc"),
      ["c"],
    );
    const list = await call(sim, "GET", "/api/v1/configmaps");
    assert(Number((list.json.metadata as Rec).resourceVersion) > 0);
  });
});

Deno.test("POST, PUT and DELETE follow the API server's rules", async () => {
  await withSim(async (sim) => {
    const base = "/api/v1/namespaces/default/configmaps";
    const first = await call(sim, "POST", base, cm("x"));
    assertEquals(first.status, 201);
    assertEquals((await call(sim, "POST", base, cm("x"))).json.reason, "AlreadyExists");
    const missing = await call(
      sim,
      "POST",
      "/api/v1/namespaces/nope/configmaps",
      cm("x", {}, "nope"),
    );
    assertEquals([missing.status, missing.json.message], [404, 'namespaces "nope" not found']);
    const gen = await call(sim, "POST", base, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { generateName: "gen-" },
    });
    assert(String((gen.json.metadata as Rec).name).startsWith("gen-"));
    const stale = await call(sim, "PUT", `${base}/x`, {
      ...cm("x"),
      metadata: { name: "x", resourceVersion: "1" },
    });
    assertEquals([stale.status, stale.json.reason], [409, "Conflict"]);
    const put = await call(sim, "PUT", `${base}/x`, { ...cm("x"), data: { k: "new" } });
    assertEquals([put.status, (put.json.data as Rec).k], [200, "new"]);
    const deleted = await call(sim, "DELETE", `${base}/x`, { propagationPolicy: "Background" });
    assertEquals([deleted.status, (deleted.json.metadata as Rec).name], [200, "x"]);
    assertEquals((await call(sim, "GET", `${base}/x`)).status, 404);
  });
});

Deno.test("server defaults are stored and generation moves only with the spec", async () => {
  await withSim(async (sim) => {
    const deploy = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "d" } },
        template: {
          metadata: { labels: { app: "d" } },
          spec: { containers: [{ name: "c", image: "i:1" }] },
        },
      },
    };
    const created = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
      deploy,
      "application/apply-patch+yaml",
    );
    assertEquals(created.status, 201);
    const spec = created.json.spec as Rec;
    assertEquals([spec.replicas, spec.progressDeadlineSeconds, (spec.strategy as Rec).type], [
      1,
      600,
      "RollingUpdate",
    ]);
    assertEquals((created.json.metadata as Rec).generation, 1);
    const same = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d?fieldManager=t",
      deploy,
      "application/apply-patch+yaml",
    );
    assertEquals([same.status, (same.json.metadata as Rec).generation], [200, 1]);
    const labelled = await call(sim, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", {
      metadata: { labels: { x: "1" } },
    }, "application/merge-patch+json");
    assertEquals((labelled.json.metadata as Rec).generation, 1);
    const scaled = await call(sim, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", {
      spec: { replicas: 3 },
    }, "application/strategic-merge-patch+json");
    assertEquals((scaled.json.metadata as Rec).generation, 2);
    const status = await call(
      sim,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/d/status",
      { spec: { replicas: 9 }, status: { replicas: 7 } },
      "application/merge-patch+json",
    );
    assertEquals([(status.json.spec as Rec).replicas, (status.json.metadata as Rec).generation], [
      3,
      2,
    ]);
    const ds = await call(sim, "POST", "/apis/apps/v1/namespaces/default/daemonsets", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "ds" },
      spec: deploy.spec,
    });
    assertEquals(((ds.json.spec as Rec).updateStrategy as Rec).type, "RollingUpdate");
    const svc = await call(sim, "POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    });
    const svcSpec = svc.json.spec as Rec;
    assert(/^10\.96\./.test(String(svcSpec.clusterIP)));
    assertEquals((svcSpec.ports as Rec[])[0].targetPort, 80);
    const ns = await call(sim, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "n1" },
    });
    assertEquals((ns.json.spec as Rec).finalizers, ["kubernetes"]);
    assertEquals((ns.json.status as Rec).phase, "Active");
    assertEquals(((ns.json.metadata as Rec).labels as Rec)["kubernetes.io/metadata.name"], "n1");
  });
});

Deno.test("protobuf Secret bodies are decoded, replies are JSON", async () => {
  await withSim(async (sim) => {
    const body = encodeSecretProtobuf({
      name: "s1",
      labels: { owner: "helm" },
      data: { release: enc.encode("abc") },
      type: "helm.sh/release.v1",
    });
    const res = await call(
      sim,
      "POST",
      "/api/v1/namespaces/default/secrets",
      body,
      "application/vnd.kubernetes.protobuf",
    );
    assertEquals(res.status, 201);
    assertEquals((res.json.data as Rec).release, "YWJj");
    assertEquals(res.headers.get("content-type"), "application/json");
    const put = await call(
      sim,
      "PUT",
      "/api/v1/namespaces/default/secrets/s1",
      body,
      "application/vnd.kubernetes.protobuf",
    );
    assertEquals(put.status, 200);
  });
});

Deno.test("watch-list sends ADDED events, the end bookmark, then MODIFIED for every write", async () => {
  await withSim(async (sim) => {
    sim.seed([cm("a", { app: "x" }), cm("b", { app: "y" })]);
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=app%3Dx&timeoutSeconds=30`,
    );
    const watch = new WatchReader(res);
    try {
      const added = await watch.next();
      assertEquals([added?.type, ((added?.object as Rec).metadata as Rec).name], ["ADDED", "a"]);
      const bookmark = await watch.next();
      assertEquals(bookmark?.type, "BOOKMARK");
      assertEquals(
        (((bookmark?.object as Rec).metadata as Rec).annotations as Rec)[
          "k8s.io/initial-events-end"
        ],
        "true",
      );
      await call(
        sim,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        { data: { k: "2" } },
        "application/merge-patch+json",
      );
      assertEquals((await watch.next())?.type, "MODIFIED");
      // leaving the selector is a DELETED, entering it an ADDED
      await call(sim, "PATCH", "/api/v1/namespaces/default/configmaps/a", {
        metadata: { labels: { app: "z" } },
      }, "application/merge-patch+json");
      assertEquals((await watch.next())?.type, "DELETED");
      await call(sim, "PATCH", "/api/v1/namespaces/default/configmaps/b", {
        metadata: { labels: { app: "x" } },
      }, "application/merge-patch+json");
      assertEquals((await watch.next())?.type, "ADDED");
    } finally {
      await watch.close();
    }
  });
});

Deno.test("a watch resumes from a resourceVersion, and a compacted one gets 410 Expired", async () => {
  await withSim(async (sim) => {
    sim.seed(cm("a"));
    const rv = sim.store.resourceVersion;
    sim.seed(cm("b"));
    sim.seed(cm("c"));
    sim.faults.set({ watches: [{ closeAfterEvents: 2, times: 1 }] });
    const res = await fetch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=30`,
    );
    const watch = new WatchReader(res);
    const names: string[] = [];
    for (let e = await watch.next(); e; e = await watch.next()) {
      names.push(String(((e.object as Rec).metadata as Rec).name));
    }
    assertEquals(names, ["b", "c"]);
    await (await fetch(`${sim.url}/__sim/compact`, { method: "POST" })).body?.cancel();
    const old = new WatchReader(
      await fetch(`${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`),
    );
    const error = await old.next();
    assertEquals([error?.type, (error?.object as Rec).code], ["ERROR", 410]);
    assertEquals(await old.next(), undefined);
  });
});

Deno.test("deleting a namespace finalises it: contents go, creates are refused meanwhile", async () => {
  await withSim(async (sim) => {
    sim.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "doomed" } });
    sim.seed({
      ...cm("held"),
      metadata: { name: "held", namespace: "doomed", finalizers: ["example.com/hold"] },
    });
    sim.seed({ ...cm("plain"), metadata: { name: "plain", namespace: "doomed" } });
    const res = await call(sim, "DELETE", "/api/v1/namespaces/doomed");
    assertEquals((res.json.status as Rec).phase, "Terminating");
    const refused = await call(
      sim,
      "POST",
      "/api/v1/namespaces/doomed/configmaps",
      cm("new", {}, "doomed"),
    );
    assertEquals(refused.status, 403);
    assertStringIncludes(String(refused.json.message), "because it is being terminated");
    assert(await until(() => !sim.get("v1", "ConfigMap", "doomed", "plain")));
    assert(sim.get("v1", "ConfigMap", "doomed", "held")?.metadata.deletionTimestamp);
    assert(sim.get("v1", "Namespace", undefined, "doomed"));
    await call(sim, "PATCH", "/api/v1/namespaces/doomed/configmaps/held", {
      metadata: { finalizers: null },
    }, "application/merge-patch+json");
    assert(await until(() => !sim.get("v1", "Namespace", undefined, "doomed")));
  });
});

Deno.test("deleting an owner cascades to its dependents", async () => {
  await withSim(async (sim) => {
    const [owner] = sim.seed(cm("owner"));
    sim.seed({
      ...cm("dep"),
      metadata: {
        name: "dep",
        namespace: "default",
        ownerReferences: [{
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "owner",
          uid: owner.metadata.uid!,
        }],
      },
    });
    await call(sim, "DELETE", "/api/v1/namespaces/default/configmaps/owner");
    assertEquals(sim.get("v1", "ConfigMap", "default", "dep"), undefined);
  });
});

Deno.test("a Deployment gets a ReplicaSet, pods and ready status after its delay", async () => {
  await withSim(async (sim) => {
    sim.seed({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web",
        namespace: "default",
        annotations: { "sim.meshup.dev/ready-after-ms": "150" },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "c", image: "i:1" }] },
        },
      },
    });
    assert(await until(() => sim.list("v1", "Pod", "default").length === 2, 2000));
    const early = sim.get("apps/v1", "Deployment", "default", "web")!;
    assertEquals((early.status as Rec).readyReplicas, undefined);
    assert(
      await until(
        () =>
          (sim.get("apps/v1", "Deployment", "default", "web")?.status as Rec)?.readyReplicas === 2,
        2000,
      ),
    );
    const rs = sim.list("apps/v1", "ReplicaSet", "default");
    assertEquals(rs.length, 1);
    for (const pod of sim.list("v1", "Pod", "default")) {
      assertEquals((pod.status as Rec).phase, "Running");
      assertEquals(pod.metadata.ownerReferences?.[0].uid, rs[0].metadata.uid);
    }
    assertEquals(sim.controllers.delayFor(early), 150);
  });
});

Deno.test("request faults fire N times with Retry-After, and the request log counts requests", async () => {
  await withSim(async (sim) => {
    sim.faults.set({
      requests: [{
        method: "GET",
        path: "^/api/v1/namespaces$",
        status: 429,
        retryAfter: 1,
        times: 1,
      }],
    });
    const first = await call(sim, "GET", "/api/v1/namespaces");
    assertEquals([first.status, first.json.reason, first.headers.get("retry-after")], [
      429,
      "TooManyRequests",
      "1",
    ]);
    assertEquals((await call(sim, "GET", "/api/v1/namespaces")).status, 200);
    assertEquals(sim.requests.count({ method: "GET", path: /^\/api\/v1\/namespaces$/ }), 2);
    assertEquals(sim.requests.count({ status: 429 }), 1);
    const log = await (await fetch(`${sim.url}/__sim/requests`)).json();
    assertEquals(log.length, 2);
    const counted = await (await fetch(`${sim.url}/__sim/requests/count?method=GET&status=429`))
      .json();
    assertEquals(counted, { count: 1 });
    await (await fetch(`${sim.url}/__sim/reset-log`, { method: "POST" })).body?.cancel();
    assertEquals(sim.requests.count(), 0);
  });
});

Deno.test("POST /__sim/faults replaces faults and seeds objects, such as a pending-install release", async () => {
  await withSim(async (sim) => {
    const secret = await helmReleaseSecret({
      name: "stuck",
      namespace: "apps",
      status: "pending-install",
    });
    const res = await fetch(`${sim.url}/__sim/faults`, {
      method: "POST",
      body: JSON.stringify({ requests: [{ path: "^/version$", status: 500 }], seed: [secret] }),
    });
    assertEquals((await res.json()).seeded, 1);
    assertEquals((await call(sim, "GET", "/version")).status, 500);
    assertEquals(sim.list("v1", "Secret", "apps").length, 1);
    const bad = await fetch(`${sim.url}/__sim/faults`, {
      method: "POST",
      body: JSON.stringify({ requests: [{}] }),
    });
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("SelfSubjectAccessReviews are allowed unless a fault denies them", async () => {
  await withSim(async (sim) => {
    const review = (verb: string): Rec => ({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { verb, resource: "pods", namespace: "default" } },
    });
    const path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    assertEquals(((await call(sim, "POST", path, review("get"))).json.status as Rec).allowed, true);
    assertEquals(
      ((await call(sim, "POST", path, review("delete"))).json.status as Rec).allowed,
      false,
    );
  }, { faults: { accessReviews: [{ verb: "delete", allowed: false, reason: "no" }] } });
});

Deno.test("TLS serves with the generated CA and checks the bearer token", async () => {
  await withSim(async (sim) => {
    const client = Deno.createHttpClient({ caCerts: [sim.caPem!] });
    try {
      const ok = await fetch(`${sim.url}/version`, {
        client,
        headers: { authorization: `Bearer ${sim.token}` },
      });
      assertEquals(ok.status, 200);
      await ok.body?.cancel();
      const bad = await fetch(`${sim.url}/version`, {
        client,
        headers: { authorization: "Bearer wrong" },
      });
      assertEquals(bad.status, 401);
      await bad.body?.cancel();
    } finally {
      client.close();
    }
    const config = await Deno.readTextFile(sim.kubeconfig);
    assertStringIncludes(config, "certificate-authority-data:");
    assertStringIncludes(config, "current-context: sim");
  }, { tls: true });
});

Deno.test("deno task sim prints one ready line and exits 0 on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const faults = `${dir}/faults.json`;
  await Deno.writeTextFile(
    faults,
    JSON.stringify({ requests: [{ path: "^/healthz$", status: 503 }] }),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./main.ts", import.meta.url).pathname,
      "--nodes",
      "2",
      "--ready-after",
      "50ms",
      "--faults",
      faults,
      "--kubeconfig",
      `${dir}/kc.yaml`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const m = /^sim ready (http:\/\/127\.0\.0\.1:\d+) (\S+)\n$/.exec(out);
    assert(m, `unexpected output: ${out}`);
    assertEquals(m[2], `${dir}/kc.yaml`);
    const nodes = await (await fetch(`${m[1]}/api/v1/nodes`)).json();
    assertEquals(nodes.items.length, 2);
    const health = await fetch(`${m[1]}/healthz`);
    assertEquals(health.status, 503);
    await health.body?.cancel();
    child.kill("SIGTERM");
    const rest = await reader.read();
    assert(rest.done || rest.value === "", `more output: ${rest.value}`);
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
  } finally {
    const stderr = await new Response(child.stderr).text();
    const status = await child.status;
    assertEquals(status.code, 0, stderr);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jittered delays are fixed per object and seed, whatever the order", async () => {
  const delays = async (seed: number, order: string[]): Promise<Record<string, number>> => {
    const sim = await startSim({ readyAfterMs: 1000, jitter: 0.1, seed, workloads: false });
    try {
      const out: Record<string, number> = {};
      for (const name of order) {
        out[name] = sim.controllers.delayFor({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace: "default" },
        });
      }
      return out;
    } finally {
      await sim.close();
    }
  };
  const a = await delays(7, ["x", "y", "z"]);
  const b = await delays(7, ["z", "y", "x"]);
  assertEquals(a, b);
  for (const v of Object.values(a)) assert(v >= 900 && v <= 1100, `delay ${v}`);
  assert(new Set(Object.values(a)).size > 1, "no jitter");
  assert(JSON.stringify(await delays(8, ["x", "y", "z"])) !== JSON.stringify(a), "seed ignored");
});
