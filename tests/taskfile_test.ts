import { assertEquals, assertMatch, assertNotIncludes, assertStringIncludes } from "./_assert.ts";
import { assertGolden, readTree } from "./_golden.ts";
import { main, TASKS } from "../Taskfile.ts";
import type { Task } from "../lib/plan/task.ts";
import type { ProcessRunner } from "../lib/kube/process.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const ENV = { CLUSTER_DOMAIN: "homelab.example.com" };

async function run(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; tasks?: readonly Task[]; root?: string } =
    {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
    env: options.env ?? ENV,
    cwd: options.cwd ?? REPO,
    tasks: options.tasks,
    root: options.root,
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
  });
  return { code, out, err };
}

async function renderTo(args: string[], env: Record<string, string>): Promise<Map<string, string>> {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run(["render", ...args, "--out", dir], { env });
    assertEquals(r.code, 0, r.err);
    return await readTree(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("plan works with only CLUSTER_DOMAIN set and lists every task", async () => {
  const r = await run(["plan"]);
  assertEquals(r.code, 0, r.err);
  for (const t of TASKS) assertStringIncludes(r.out, `\n${t.id}`);
  assertStringIncludes(r.out, "istio:ztunnel  (after istio:cni, istio:istiod)");
});

Deno.test("plan --json lists all targets with their deps", async () => {
  const r = await run(["plan", "up", "--json"]);
  assertEquals(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assertEquals(lines.length, 1);
  const plan = JSON.parse(lines[0]);
  assertEquals(plan.type, "plan");
  const deps = Object.fromEntries(
    plan.tasks.map((t: { id: string; deps: string[] }) => [t.id, t.deps]),
  );
  assertEquals(deps["istio:base"], ["cilium"]);
  assertEquals(deps["istio:cni"], ["istio:base"]);
  assertEquals(deps["istio:istiod"], ["istio:base"]);
  assertEquals(deps["istio:ztunnel"], ["istio:cni", "istio:istiod"]);
  assertEquals(Object.keys(deps).sort(), TASKS.map((t) => t.id).sort());
});

Deno.test("plan of one target holds its closure; --only holds the target alone", async () => {
  const one = JSON.parse((await run(["plan", "istio:ztunnel", "--json"])).out);
  assertEquals(one.tasks.map((t: { id: string }) => t.id), [
    "cilium",
    "istio:base",
    "istio:cni",
    "istio:istiod",
    "istio:ztunnel",
  ]);
  const only = JSON.parse((await run(["plan", "kiali", "--only", "--json"])).out);
  assertEquals(only.tasks.map((t: { id: string }) => t.id), ["kiali"]);
});

Deno.test("graph prints the DAG as Mermaid and as DOT", async () => {
  assertStringIncludes((await run(["graph"])).out, "istio_cni --> istio_ztunnel");
  assertStringIncludes((await run(["graph", "--format", "dot"])).out, '"gateway" -> "bookinfo";');
  assertEquals((await run(["graph", "--format", "png"])).code, 2);
});

Deno.test("render of the example config matches the golden files", async () => {
  const files = await renderTo(["--config", "cluster.example.yaml"], {});
  await assertGolden("example", files);
});

Deno.test("render of a config with every option flipped matches the golden files", async () => {
  const files = await renderTo(["--config", "tests/fixtures/configs/flipped.yaml"], {
    LAB_KIALI_SECRET: "sup3r-s3cret-v4lue",
  });
  await assertGolden("flipped", files);
});

Deno.test("render is deterministic byte for byte", async () => {
  const a = await renderTo([], ENV);
  const b = await renderTo([], ENV);
  assertEquals([...a.entries()], [...b.entries()]);
});

Deno.test("render never contains the OIDC client secret", async () => {
  const secret = "sup3r-s3cret-v4lue";
  const files = await renderTo(["--config", "tests/fixtures/configs/flipped.yaml"], {
    LAB_KIALI_SECRET: secret,
  });
  const secretFile = [...files.entries()].find(([p]) => p.endsWith("oidc-secret.yaml"));
  assertStringIncludes(secretFile![1], "<redacted: read from $LAB_KIALI_SECRET at run time>");
  for (const [path, content] of files) {
    assertNotIncludes(content, secret, `${path} holds the secret`);
    assertNotIncludes(content, btoa(secret), `${path} holds the secret in base64`);
  }
  const plan = await run(["plan", "--json", "--config", "tests/fixtures/configs/flipped.yaml"], {
    env: { LAB_KIALI_SECRET: secret },
  });
  assertNotIncludes(plan.out, secret);
});

Deno.test("the golden files show the errata applied", async () => {
  const ex = await renderTo(["--config", "cluster.example.yaml"], {});
  const get = (suffix: string): string => [...ex.entries()].find(([p]) => p.endsWith(suffix))![1];
  assertStringIncludes(get("04-istio-cni/01-release.values.yaml"), "profile: ambient");
  assertStringIncludes(get("05-istio-istiod/01-release.values-1.yaml"), "profile: ambient");
  assertStringIncludes(
    get("05-istio-istiod/01-release.values-2.yaml"),
    "service: tempo-distributor.tempo.svc.cluster.local",
  );
  assertStringIncludes(get("09-telemetry/01-tracing.yaml"), "apiVersion: telemetry.istio.io/v1\n");
  assertStringIncludes(get("09-telemetry/02-istiod-monitor.yaml"), "port: http-monitoring");
  assertStringIncludes(get("09-telemetry/03-ztunnel-monitor.yaml"), "port: ztunnel-stats");
  assertStringIncludes(get("09-telemetry/03-ztunnel-monitor.yaml"), "path: /stats/prometheus");
  assertStringIncludes(
    get("01-cilium/02-probe-policy.yaml"),
    "enableDefaultDeny:\n    ingress: false\n    egress: false",
  );
  const kiali = get("10-kiali/02-cr.yaml");
  assertStringIncludes(kiali, "internal_url: http://tempo-query-frontend");
  assertNotIncludes(kiali, "in_cluster_url");
  assertMatch(kiali, /url: http:\/\/kube-prometheus-stack-prometheus\.monitoring:9090\n/);
  assertStringIncludes(get("10-kiali/01-operator.sh"), "--repo https://kiali.org/helm-charts");
  assertStringIncludes(
    get("11-bookinfo/03-app.sh"),
    "/istio/istio/1.30.3/samples/bookinfo/platform/kube/bookinfo.yaml",
  );
  // the gateway's pod label and bookinfo's Gateway selector agree
  assertStringIncludes(get("08-gateway/01-release.values.yaml"), "labels:\n  istio: gateway");
  assertStringIncludes(get("11-bookinfo/04-route.yaml"), "selector:\n    istio: gateway");
  const flipped = await renderTo(["--config", "tests/fixtures/configs/flipped.yaml"], {});
  const fget = (suffix: string): string =>
    [...flipped.entries()].find(([p]) => p.endsWith(suffix))![1];
  assertStringIncludes(fget("10-kiali/02-oidc-secret.yaml"), "namespace: observability");
  assertNotIncludes(fget("05-istio-istiod/01-release.sh"), "values-2");
  assertEquals([...flipped.keys()].some((p) => p.includes("09-telemetry/01-tracing")), false);
  assertStringIncludes(fget("02-gateway-api/01-crds.sh"), "download/v1.4.0/standard-install.yaml");
});

Deno.test("bad input exits 2 with one error line and a hint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/bad.yaml`,
      "cluster:\n  domain: ok.example.com\nistio:\n  version: latest\n",
    );
    const cases: [string[], Record<string, string>, string][] = [
      [["plan", "--config", "bad.yaml"], {}, 'bad.yaml:4: field "istio.version"'],
      [["plan", "--config", "missing.yaml"], {}, 'Cannot read config "missing.yaml"'],
      [["plan"], {}, '"cluster.domain" is required'],
      [["plan", "istio:istoid"], ENV, 'Unknown target "istio:istoid"'],
      [["plan", "--bogus"], ENV, 'Unknown option "--bogus"'],
      [["plan", "--timeout", "soon"], ENV, 'Invalid --timeout "soon"'],
    ];
    for (const [args, env, expected] of cases) {
      const r = await run(args, { env, cwd: dir });
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assertEquals(r.out, "");
      const lines = r.err.trimEnd().split("\n");
      assertStringIncludes(lines[0], expected);
      assertMatch(lines[0], /^error: /);
      assertMatch(lines[1], /^ {2}hint: /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cyclic or unknown dependency exits 2 naming the tasks", async () => {
  const noop = (): [] => [];
  const cyclic: Task[] = [
    { id: "a", description: "", deps: ["b"], plan: noop },
    { id: "b", description: "", deps: ["a"], plan: noop },
  ];
  const c = await run(["plan", "a"], { tasks: cyclic });
  assertEquals(c.code, 2);
  assertStringIncludes(c.err, 'dependency cycle "a" -> "b" -> "a"');
  const unknown = await run(["plan", "a"], {
    tasks: [{ id: "a", description: "", deps: ["zz"], plan: noop }],
  });
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.err, 'depends on unknown task "zz"');
});

Deno.test("an unknown variable or malformed YAML in a template exits 2 naming file:line", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const d of ["values", "manifests"]) {
      await Deno.mkdir(`${root}/${d}`);
      for await (const e of Deno.readDir(`${REPO}/${d}`)) {
        await Deno.copyFile(`${REPO}/${d}/${e.name}`, `${root}/${d}/${e.name}`);
      }
    }
    await Deno.writeTextFile(
      `${root}/values/istiod.yaml`,
      "profile: ambient\npilot:\n  env:\n    X: ${NOT_DEFINED}\n",
    );
    const unknown = await run(["plan"], { root });
    assertEquals(unknown.code, 2);
    assertStringIncludes(
      unknown.err,
      'Cannot render "values/istiod.yaml:4": unknown variable "${NOT_DEFINED}"',
    );
    await Deno.writeTextFile(`${root}/values/istiod.yaml`, "profile: ambient\n");
    await Deno.writeTextFile(
      `${root}/manifests/telemetry.yaml`,
      "apiVersion: v1\nkind: X\nmetadata:\n  name: a\n bad: [\n",
    );
    const malformed = await run(["plan"], { root });
    assertEquals(malformed.code, 2);
    assertMatch(malformed.err, /Cannot parse "manifests\/telemetry\.yaml:\d+": malformed YAML/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a missing local chart or bookinfo folder exits 2 naming the field", async () => {
  const r = await run(["plan"], { env: { ...ENV, ISTIO_CHARTS: "./no-such-charts" } });
  assertEquals(r.code, 2);
  assertStringIncludes(
    r.err,
    'field "istio.charts": cannot find chart "base" in "./no-such-charts"',
  );
  const b = await run(["plan"], { env: { ...ENV, BOOKINFO_SOURCE: "./no-such-folder" } });
  assertEquals(b.code, 2);
  assertStringIncludes(b.err, 'field "bookinfo.source" points to a missing file');
});

Deno.test("--timeline on a directory exits 2 before anything runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spawned: string[][] = [];
    const proc = {
      run(argv: readonly string[]): Promise<never> {
        spawned.push([...argv]);
        return Promise.reject(new Error("no process may run"));
      },
    };
    for (const args of [["up"], ["istio:base", "--only"], ["down", "--yes"]]) {
      let out = "";
      let err = "";
      const code = await main([...args, "--timeline", dir], {
        env: ENV,
        cwd: REPO,
        proc,
        io: { out: (s) => void (out += s), err: (s) => void (err += s) },
      });
      assertEquals(code, 2, `${args.join(" ")}: ${err}`);
      assertEquals(out, "");
      const lines = err.trimEnd().split("\n");
      assertEquals(lines[0], `error: Cannot write timeline "${dir}": it is a directory`);
      assertMatch(lines[1], /^ {2}hint: /);
    }
    assertEquals(spawned, []);
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a malformed kubeconfig exits 2 naming the file; a missing one falls back to kubectl", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const calls: string[][] = [];
    const proc: ProcessRunner = {
      run(argv) {
        calls.push([...argv]);
        return Promise.resolve({ code: 1, stdout: "", stderr: "error: no context" });
      },
    };
    const runWith = async (kubeconfig: string): Promise<{ code: number; err: string }> => {
      let err = "";
      const code = await main(["doctor"], {
        env: { ...ENV, KUBECONFIG: kubeconfig },
        cwd: dir,
        proc,
        io: { out: () => {}, err: (s) => void (err += s) },
      });
      return { code, err };
    };
    for (const text of ["clusters: [oops\n", "clusters: 3\n", "- just\n- a list\n"]) {
      await Deno.writeTextFile(`${dir}/kubeconfig`, text);
      const r = await runWith(`${dir}/kubeconfig`);
      assertEquals(r.code, 2, r.err);
      assertMatch(r.err, new RegExp(`^error: .*"${dir}/kubeconfig" is not a valid kubeconfig: `));
      assertStringIncludes(r.err, "hint: check it with `kubectl config view --kubeconfig");
      assertNotIncludes(r.err, "No kube context");
    }
    await Deno.mkdir(`${dir}/folder`);
    const folder = await runWith(`${dir}/folder`);
    assertEquals(folder.code, 2, folder.err);
    assertStringIncludes(folder.err, `Cannot read kubeconfig "${dir}/folder"`);
    assertEquals(calls, []);
    // no kubeconfig at all: kubectl is asked, as before
    const missing = await runWith(`${dir}/no-such-file`);
    assertEquals(calls[0]?.[0], "kubectl");
    assertEquals(missing.code === 0, false);
    assertNotIncludes(missing.err, "not a valid kubeconfig");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cilium --fix plans an upgrade from a local folder holding cilium-VERSION.tgz", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/charts`);
    await Deno.writeTextFile(`${dir}/charts/cilium-1.16.5.tgz`, "a stand-in package");
    const r = await run(["plan", "cilium", "--fix", "--json"], {
      env: { ...ENV, CILIUM_CHARTS: "./charts" },
      cwd: dir,
    });
    assertEquals(r.code, 0, r.err);
    const plan = JSON.parse(r.out);
    const check = plan.tasks[0].steps[0].check;
    assertEquals(check.fix.chart.type, "tgz");
    assertEquals(check.fix.chart.path, "./charts/cilium-1.16.5.tgz");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
