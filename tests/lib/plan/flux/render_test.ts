import { assert, assertEquals, assertNotIncludes, assertStringIncludes } from "../../../_assert.ts";
import { assertGolden, readTree } from "../../../_golden.ts";
import { parse, parseAllDocuments } from "yaml";
import { deepMerge } from "../../../../lib/config/template.ts";
import { renderFlux } from "../../../../lib/plan/flux/mod.ts";
import type { HelmReleaseStep, Plan } from "../../../../lib/plan/plan.ts";
import { main, TASKS } from "../../../../Taskfile.ts";
import { ALL_ON, EXAMPLE, fluxOf, planOf, REPO, REPO_PATH } from "./_render.ts";

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

function objects(files: Map<string, string>, path: string): Obj[] {
  return parseAllDocuments(files.get(path) ?? "").map((d) => d.toJS());
}

function helmReleases(files: Map<string, string>): Obj[] {
  return [...files.keys()].filter((p) => p.endsWith("/helmrelease.yaml"))
    .flatMap((p) => objects(files, p));
}

function kustomization(files: Map<string, string>, name: string): Obj {
  const k = objects(files, "kustomizations.yaml").find((o) => o.metadata.name === name);
  assert(k, `Kustomization "${name}" rendered`);
  return k;
}

async function cli(
  args: string[],
  o: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["render", "--format", "flux", ...args], {
    env: o.env ?? {},
    cwd: o.cwd ?? REPO,
    tasks: TASKS,
    root: REPO,
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
  });
  return { code, out, err };
}

Deno.test("render --format flux of the example config matches the golden files", async () => {
  await assertGolden("flux-example", await fluxOf(EXAMPLE));
});

Deno.test("render --format flux of a config with every option on matches the golden files", async () => {
  await assertGolden("flux-all-on", await fluxOf(ALL_ON));
});

Deno.test("renderFlux() gives the same bytes for the same config, with no time in them", async () => {
  const a = await fluxOf(ALL_ON);
  const b = await fluxOf(ALL_ON);
  assertEquals([...a], [...b]);
  assertEquals([...a.keys()], [...a.keys()].sort());
  for (const [path, text] of a) {
    assert(!/\d{4}-\d{2}-\d{2}T\d{2}:/.test(text), `${path} holds a timestamp`);
  }
});

Deno.test("HelmReleases keep the release name and namespaces that up uses, chart and version pinned", async () => {
  for (const config of [EXAMPLE, ALL_ON]) {
    const plan = await planOf(config);
    const files = renderFlux(plan, { repoPath: REPO_PATH });
    const steps = plan.tasks.flatMap((t) => t.steps)
      .filter((s): s is HelmReleaseStep => s.kind === "helm-release");
    const rendered = helmReleases(files);
    assertEquals(rendered.length, steps.length);
    for (const step of steps) {
      const hr = rendered.find((o) => o.spec.releaseName === step.release);
      assert(hr, `a HelmRelease for ${step.release}`);
      assertEquals(hr.spec.targetNamespace, step.namespace);
      assertEquals(hr.spec.storageNamespace, step.namespace);
      assertEquals(hr.spec.install.createNamespace, step.createNamespace);
      assertEquals(hr.spec.install.remediation.retries, 3);
      assertEquals(hr.spec.upgrade.remediation.retries, 3);
      assertEquals(hr.spec.driftDetection.mode, "enabled");
      assertEquals(hr.spec.timeout, "300s");
      if (step.chart.type === "repo") {
        assertEquals(hr.spec.chart.spec.chart, step.chart.chart);
        assertEquals(hr.spec.chart.spec.version, step.chart.version);
      } else if (step.chart.type === "oci") {
        const source = objects(files, "sources.yaml")
          .find((o) => o.kind === "OCIRepository" && o.metadata.name === hr.spec.chartRef.name);
        assertEquals(source?.spec.url, step.chart.ref);
        assertEquals(source?.spec.ref, { tag: step.chart.version });
      }
      const expected = step.values.reduce(
        (acc: unknown, v) => deepMerge(acc, parse(v.content) ?? {}),
        {},
      );
      assertEquals(hr.spec.values ?? {}, expected);
    }
  }
});

Deno.test("HelmRelease values are the step's values files merged in order, as helm -f merges them", () => {
  const plan: Plan = {
    target: "x",
    tasks: [{
      id: "x",
      description: "",
      deps: [],
      steps: [{
        kind: "helm-release",
        id: "release",
        description: "",
        release: "r",
        namespace: "n",
        createNamespace: true,
        chart: { type: "repo", repo: "https://charts.example.org", chart: "c", version: "1.0.0" },
        values: [
          { source: "a.yaml", content: "a: 1\nmap:\n  keep: x\n  over: old\nlist: [1, 2]\n" },
          { source: "b.yaml", content: "map:\n  over: new\n  drop: null\nlist: [3]\n" },
        ],
        workloads: [],
      }],
    }],
  };
  const files = renderFlux(plan, { repoPath: "." });
  assertEquals(helmReleases(files)[0].spec.values, {
    a: 1,
    map: { keep: "x", over: "new", drop: null },
    list: [3],
  });
  assertEquals(kustomization(files, "meshup-x-releases").spec.path, "./releases/x");
});

Deno.test("istiod ignores the webhook fields istiod rewrites; kiali-operator replaces the CRDs of its crds/ folder", async () => {
  const rendered = helmReleases(await fluxOf(EXAMPLE));
  const istiod = rendered.find((o) => o.spec.releaseName === "istiod")!;
  assertEquals(istiod.spec.driftDetection.ignore, [{
    paths: ["/webhooks/0/clientConfig/caBundle", "/webhooks/0/failurePolicy"],
    target: { group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration" },
  }]);
  const kiali = rendered.find((o) => o.spec.releaseName === "kiali-operator")!;
  assertEquals(kiali.spec.install.crds, "CreateReplace");
  assertEquals(kiali.spec.upgrade.crds, "CreateReplace");
  const base = rendered.find((o) => o.spec.releaseName === "istio-base")!;
  assertEquals(base.spec.install.crds, undefined, "base templates its CRDs: no policy");
  assertEquals(base.spec.driftDetection.ignore, undefined);
});

Deno.test("plain manifests wait for the releases they need, with health checks that really wait", async () => {
  const files = await fluxOf(ALL_ON);
  const names = (k: Obj): string[] => (k.spec.dependsOn ?? []).map((d: Obj) => d.name);
  const bookinfo = kustomization(files, "meshup-bookinfo");
  assertEquals(bookinfo.spec.wait, true);
  assertEquals(names(bookinfo), [
    "meshup-gateway-api-crds",
    "meshup-istio-base-releases",
    "meshup-istio-cni-releases",
    "meshup-istio-istiod-releases",
    "meshup-istio-ztunnel-releases",
    "meshup-gateway-releases",
  ]);
  assertEquals(bookinfo.spec.healthCheckExprs.map((e: Obj) => e.kind), ["Gateway"]);
  assertStringIncludes(bookinfo.spec.healthCheckExprs[0].current, "'Programmed'");
  const kiali = kustomization(files, "meshup-kiali");
  assertEquals(names(kiali), ["meshup-istio-istiod-releases", "meshup-kiali-releases"]);
  assertEquals(kiali.spec.healthCheckExprs.map((e: Obj) => e.kind), ["Kiali"]);
  assertStringIncludes(kiali.spec.healthCheckExprs[0].current, "'Successful'");
  assertEquals(
    kiali.spec.healthChecks.map((h: Obj) => `${h.kind}/${h.name}`),
    ["Kiali/kiali", "Deployment/kiali", "Secret/kiali"],
  );
  assertEquals(kustomization(files, "meshup-istio-istiod-releases").spec.wait, true);
  assertEquals(kustomization(files, "meshup-gateway-api-crds").spec.prune, false);
  assertEquals(kustomization(files, "meshup-telemetry").spec.prune, true);
  const ns = objects(files, "manifests/bookinfo/namespace.yaml")[0];
  assertEquals(ns.metadata.labels, {
    "istio.io/dataplane-mode": "ambient",
    "istio.io/use-waypoint": "waypoint",
  });
});

Deno.test("fetched manifests come from Git sources pinned to the version meshup uses", async () => {
  const plan = await planOf(ALL_ON);
  const files = renderFlux(plan, { repoPath: REPO_PATH });
  const git = objects(files, "sources.yaml").filter((o) => o.kind === "GitRepository");
  const bookinfo = git.find((o) => o.metadata.name === "meshup-bookinfo-app")!;
  assertEquals(bookinfo.spec.url, "https://github.com/istio/istio");
  assertEquals(bookinfo.spec.ref, { tag: "1.29.2" });
  assertEquals(bookinfo.spec.sparseCheckout, ["samples/bookinfo/platform/kube"]);
  assertStringIncludes(bookinfo.spec.ignore, "!/samples/bookinfo/platform/kube/bookinfo.yaml\n");
  const app = kustomization(files, "meshup-bookinfo-app");
  assertEquals(app.spec.targetNamespace, "shop");
  assertEquals(app.spec.path, "./samples/bookinfo/platform/kube");
  const crds = git.find((o) => o.metadata.name === "meshup-gateway-api-crds")!;
  assertEquals(crds.spec.ref, { tag: "v1.4.0" });
  assertEquals(kustomization(files, "meshup-gateway-api-crds").spec.path, "./config/crd");
  for (const [path, text] of files) {
    if (path.endsWith("kustomization.yaml")) assertNotIncludes(text, "://", path);
  }
});

Deno.test("the OIDC client secret is only a reference to a Secret the user creates", async () => {
  const secret = "oidc-Sup3r-s3cret-value";
  const files = await fluxOf(ALL_ON, { LAB_KIALI_SECRET: secret });
  for (const [path, text] of files) {
    assertNotIncludes(text, secret, path);
    assertNotIncludes(text, btoa(secret), path);
  }
  for (const [path, text] of files) {
    if (path.endsWith(".yaml")) {
      for (const o of parseAllDocuments(text).map((d) => d.toJS())) {
        assert(o?.kind !== "Secret", `${path} renders no Secret`);
      }
    }
  }
  const readme = files.get("README.md")!;
  assertStringIncludes(readme, "Secret `kiali` in `observability`, key `oidc-secret`");
  assertStringIncludes(readme, '--from-literal=oidc-secret="$LAB_KIALI_SECRET"');
  assertStringIncludes(readme, "sops --encrypt");
});

Deno.test("steps Flux cannot express stay with meshup and the README says so", async () => {
  const files = await fluxOf(EXAMPLE);
  const readme = files.get("README.md")!;
  assertStringIncludes(readme, "`cilium` / `config`");
  assertStringIncludes(readme, "`telemetry` / `istiod-monitor`");
  assertStringIncludes(readme, "deno task doctor");
  assertStringIncludes(readme, "deno task verify");
  assert(![...files.keys()].some((p) => p.includes("istiod-monitor")));
});

Deno.test("render --format flux takes its paths from where --out sits in a Git checkout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.git`);
    await Deno.mkdir(`${dir}/clusters`);
    const r = await cli(["--config", `${REPO}/${EXAMPLE}`, "--out", "clusters/lab/../pi/meshup"], {
      cwd: dir,
    });
    assertEquals(r.code, 0, r.err);
    const files = await readTree(`${dir}/clusters/pi/meshup`);
    assert(files.has(".meshup-render"));
    assertEquals(
      kustomization(files, "meshup-istio-base-releases").spec.path,
      "./clusters/pi/meshup/releases/istio-base",
    );
    assertStringIncludes(files.get("README.md")!, "path: ./clusters/pi/meshup\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a local chart or a local manifest is refused with exit 2, a hint, and nothing written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const chart = await cli(["--config", `${REPO}/${EXAMPLE}`, "--out", "out"], {
      cwd: dir,
      env: { ISTIO_CHARTS: `${REPO}/tests/fixtures/charts` },
    });
    assertEquals(chart.code, 2);
    assertStringIncludes(chart.err, 'Cannot render "istio:base" for Flux: its chart is the local');
    assertStringIncludes(chart.err, "hint: publish it (helm push");
    const manifest = await cli(
      ["--config", "tests/fixtures/configs/flipped.yaml", "--out", `${dir}/out`],
      { cwd: REPO },
    );
    assertEquals(manifest.code, 2);
    assertStringIncludes(
      manifest.err,
      'Cannot render "bookinfo" for Flux: it applies the local file',
    );
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
