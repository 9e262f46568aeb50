import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../../_assert.ts";
import { parseAllDocuments } from "yaml";
import { renderFlux } from "../../../../lib/plan/flux/mod.ts";
import type { Plan } from "../../../../lib/plan/plan.ts";
import { kubeBinaries } from "../../../sim/binaries.ts";
import { isFluxKind, unknownFields, validateFlux } from "./_schema.ts";
import { ALL_ON, EXAMPLE, planOf, REPO_PATH } from "./_render.ts";

type Obj = Record<string, unknown>;
type Spec = { spec: Record<string, unknown>; metadata: { name: string } };

const CONFIGS = [EXAMPLE, ALL_ON];

function docs(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o !== null);
}

function fluxObjects(files: Map<string, string>): Obj[] {
  return [...files].filter(([p]) => p.endsWith(".yaml") && !p.startsWith("manifests/"))
    .flatMap(([, text]) => docs(text)).filter(isFluxKind);
}

Deno.test("unknownFields() finds every field the Flux schema does not define, and none in values", () => {
  const hr = {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: "x", labels: { any: "label" }, bogus: 1 },
    spec: {
      interval: "10m",
      releaseNmae: "x",
      install: { remediation: { retriez: 3 } },
      dependsOn: [{ name: "a", extra: true }],
      values: { free: { form: [1, { deep: true }] } },
      healthCheckExprs: [{ apiVersion: "v1", kind: "K", current: "true", typo: "x" }],
    },
  };
  assertEquals(unknownFields(hr), [
    "/metadata/bogus",
    "/spec/releaseNmae",
    "/spec/install/remediation/retriez",
    "/spec/dependsOn/0/extra",
    "/spec/healthCheckExprs/0/typo",
  ]);
  const e = assertThrows(() => validateFlux({ ...hr, spec: { interval: 5 } }));
  assertStringIncludes(e.message, "interval");
});

Deno.test("every rendered Flux object passes its schema and sets only fields the schema defines", async () => {
  for (const config of CONFIGS) {
    const files = renderFlux(await planOf(config), { repoPath: REPO_PATH });
    const objects = fluxObjects(files);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ["HelmRelease", "Kustomization", "GitRepository"]) {
      assert(config === EXAMPLE || kinds.has(kind), `${config} renders a ${kind}`);
    }
    for (const o of objects) {
      const name = `${config}: ${o.kind} ${(o as Spec).metadata.name}`;
      validateFlux(o);
      assertEquals(unknownFields(o), [], `${name} sets fields its schema does not define`);
    }
    const yamls = [...files.keys()].filter((p) =>
      p.endsWith(".yaml") && !p.startsWith("manifests/")
    )
      .filter((p) => !p.endsWith("kustomization.yaml"));
    for (const p of yamls) {
      for (const o of docs(files.get(p)!)) assert(isFluxKind(o), `${p}: ${o.kind} is a Flux kind`);
    }
  }
});

Deno.test("kubectl kustomize builds the rendered folder and every folder it applies, offline", async () => {
  const { kubectl } = await kubeBinaries();
  for (const config of CONFIGS) {
    const files = renderFlux(await planOf(config), { repoPath: REPO_PATH });
    const dir = await Deno.makeTempDir();
    try {
      for (const [path, text] of files) {
        const full = `${dir}/${path}`;
        await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(full, text);
      }
      const folders = [...files.keys()].filter((p) => p.endsWith("kustomization.yaml"))
        .map((p) => p.slice(0, Math.max(0, p.lastIndexOf("/"))));
      const paths = new Set<string>();
      for (const folder of folders) {
        const out = await new Deno.Command(kubectl, {
          args: ["kustomize", folder === "" ? dir : `${dir}/${folder}`],
          // any network fetch would fail: the build must be offline
          env: { HTTP_PROXY: "http://127.0.0.1:9", HTTPS_PROXY: "http://127.0.0.1:9" },
          clearEnv: true,
        }).output();
        const err = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, `${config}: kubectl kustomize ${folder || "."}: ${err}`);
        const built = docs(new TextDecoder().decode(out.stdout));
        assert(built.length > 0 || folder.startsWith("manifests/"), `${folder} builds objects`);
        if (folder === "") {
          assertEquals(
            built.length,
            fluxObjects(files).filter((o) => o.kind !== "HelmRelease").length,
          );
          for (const k of built.filter((o) => o.kind === "Kustomization")) {
            const spec = (k as Spec).spec as { path: string; sourceRef: { name: string } };
            if (spec.sourceRef.name === "flux-system") paths.add(spec.path);
          }
        }
      }
      // every Kustomization reading this repository points at a folder that builds
      assertEquals(
        [...paths].sort(),
        folders.filter((f) => f !== "").map((f) => `./${REPO_PATH}/${f}`).sort(),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

/** Each release's dependencies, computed from the plan alone: the nearest tasks with releases. */
function planReleaseDeps(plan: Plan): Map<string, string[]> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const releasesOf = (id: string): string[] =>
    byId.get(id)!.steps.flatMap((s) => s.kind === "helm-release" ? [s.release] : []);
  const out = new Map<string, string[]>();
  for (const task of plan.tasks) {
    const mine = releasesOf(task.id);
    if (!mine.length) continue;
    const deps = new Set<string>();
    const queue = [...task.deps];
    const seen = new Set<string>();
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const theirs = releasesOf(id);
      if (theirs.length) theirs.forEach((r) => deps.add(r));
      else queue.push(...byId.get(id)!.deps);
    }
    mine.forEach((r, i) => out.set(r, i === 0 ? [...deps].sort() : [mine[i - 1]]));
  }
  return out;
}

Deno.test("the HelmReleases' dependsOn are exactly the plan's dependencies among releases", async () => {
  for (const config of CONFIGS) {
    const plan = await planOf(config);
    const files = renderFlux(plan, { repoPath: REPO_PATH });
    const releases = fluxObjects(files).filter((o) => o.kind === "HelmRelease") as Spec[];
    const byName = new Map(releases.map((r) => [r.metadata.name, r.spec.releaseName as string]));
    const rendered = new Map(releases.map((r) => [
      r.spec.releaseName as string,
      ((r.spec.dependsOn ?? []) as { name: string }[]).map((d) => byName.get(d.name)!).sort(),
    ]));
    assertEquals(rendered, planReleaseDeps(plan), config);
  }
  const example = renderFlux(await planOf(EXAMPLE), { repoPath: REPO_PATH });
  const deps = (name: string): string[] => {
    const r = fluxObjects(example).find((o) => (o as Spec).metadata.name === name) as Spec;
    return ((r.spec.dependsOn ?? []) as { name: string }[]).map((d) => d.name);
  };
  assertEquals(deps("istio-base"), []);
  assertEquals(deps("istiod"), ["istio-base"]);
  assertEquals(deps("ztunnel"), ["istio-cni", "istiod"]);
  assertEquals(deps("istio-gateway"), ["istiod"]);
});

Deno.test("every Kustomization dependsOn names a rendered Kustomization, without cycles", async () => {
  for (const config of CONFIGS) {
    const files = renderFlux(await planOf(config), { repoPath: REPO_PATH });
    const ks = fluxObjects(files).filter((o) => o.kind === "Kustomization") as Spec[];
    const order = ks.map((k) => k.metadata.name);
    for (const k of ks) {
      for (const d of (k.spec.dependsOn ?? []) as { name: string }[]) {
        assert(
          order.indexOf(d.name) >= 0 && order.indexOf(d.name) < order.indexOf(k.metadata.name),
          `${config}: ${k.metadata.name} depends on ${d.name}, rendered before it`,
        );
      }
    }
  }
});
