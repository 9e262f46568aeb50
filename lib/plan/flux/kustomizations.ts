/**
 * Flux Kustomizations (kustomize.toolkit.fluxcd.io/v1). Flux's `dependsOn`
 * links objects of one kind only, so each task's HelmReleases are wrapped
 * in a Kustomization that waits for them, and the task's plain manifests
 * (and the manifests fetched from Git) go in Kustomizations that depend on
 * the wrappers of what they need. Health checks really wait: a Gateway
 * until Programmed, a Kiali CR until its operator reports success.
 */
import type { ApplyStep, HelmReleaseStep, ObjectRef } from "../plan.ts";
import { parseDocs, toYaml, toYamlDocs } from "./_yaml.ts";
import {
  allKustomizations,
  duration,
  fluxError,
  type FluxTask,
  hasContent,
  kustomizationNames,
  nearestDeps,
  refKey,
} from "./model.ts";
import type { GitSource } from "./sources.ts";

/** CEL health checks for kinds whose status kstatus reads as ready too early. */
export const HEALTH_CHECK_EXPRS: Record<string, Record<string, string>> = {
  "gateway.networking.k8s.io/v1/Gateway": {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    current:
      "status.?conditions.orValue([]).exists(c, c.type == 'Programmed' && c.status == 'True')",
    failed:
      "status.?conditions.orValue([]).exists(c, c.type == 'Programmed' && c.status == 'False' && c.reason == 'Invalid')",
  },
  "kiali.io/v1alpha1/Kiali": {
    apiVersion: "kiali.io/v1alpha1",
    kind: "Kiali",
    current:
      "status.?conditions.orValue([]).exists(c, c.type == 'Successful' && c.status == 'True')",
    failed: "status.?conditions.orValue([]).exists(c, c.type == 'Failure' && c.status == 'True')",
  },
};

export interface KustomizationOptions {
  namespace: string;
  gitRepository: string;
  /** DIR inside the Git repository, without `./` */
  repoPath: string;
  timeoutSeconds: number;
  git: Map<ApplyStep, GitSource>;
}

/** The Flux Kustomizations and the folders they apply, for every task. */
export function buildKustomizations(
  tasks: readonly FluxTask[],
  o: KustomizationOptions,
  helmReleases: Map<HelmReleaseStep, Record<string, unknown>>,
): { objects: Record<string, unknown>[]; files: Map<string, string> } {
  const objects: Record<string, unknown>[] = [];
  const files = new Map<string, string>();
  for (const t of tasks) {
    const names = kustomizationNames(t);
    const before = nearestDeps(tasks, t, hasContent).flatMap(allKustomizations);
    if (names.releases) {
      const folder = `releases/${t.slug}`;
      files.set(
        `${folder}/helmrelease.yaml`,
        toYamlDocs(t.releases.map((r) => helmReleases.get(r))),
      );
      files.set(`${folder}/kustomization.yaml`, kustomizeFile(["helmrelease.yaml"]));
      objects.push(kustomization(names.releases, o, {
        path: folder,
        dependsOn: before,
        timeoutSeconds: sum(t.releases.map((r) => r.timeoutSeconds ?? o.timeoutSeconds)),
        health: { wait: true },
        kinds: [],
      }));
    }
    const own = names.releases ? [names.releases] : [];
    if (names.manifests) {
      const folder = `manifests/${t.slug}`;
      const { docs, refs } = localManifests(t);
      for (const [file, text] of docs) files.set(`${folder}/${file}`, text);
      files.set(`${folder}/kustomization.yaml`, kustomizeFile([...docs.keys()]));
      const extra: ObjectRef[] = [
        ...t.waits.flatMap((w) => w.objects),
        ...t.secrets.map((s) => ({
          apiVersion: "v1",
          kind: "Secret",
          name: s.name,
          namespace: s.namespace,
        })),
      ];
      objects.push(kustomization(names.manifests, o, {
        path: folder,
        dependsOn: [...before, ...own],
        timeoutSeconds: Math.max(
          ...[...t.local, ...t.waits].map((s) => s.timeoutSeconds ?? o.timeoutSeconds),
          o.timeoutSeconds,
        ),
        // Flux ignores healthChecks under wait: true, so extra objects list all.
        health: extra.length ? { checks: uniqueRefs([...refs, ...extra]) } : { wait: true },
        kinds: refs,
      }));
    }
    for (const step of t.remote) {
      const source = o.git.get(step)!;
      objects.push(kustomization(source.name, o, {
        path: source.path,
        dependsOn: [...before, ...own, ...(names.manifests ? [names.manifests] : [])],
        timeoutSeconds: step.timeoutSeconds ?? o.timeoutSeconds,
        health: { wait: true },
        kinds: [],
        git: source.name,
        prune: !step.crds,
        targetNamespace: step.defaultNamespace,
      }));
    }
  }
  return { objects, files };
}

function kustomization(
  name: string,
  o: KustomizationOptions,
  k: {
    path: string;
    dependsOn: string[];
    timeoutSeconds: number;
    health: { wait: true } | { checks: ObjectRef[] };
    /** objects whose kinds may need a CEL health check */
    kinds: ObjectRef[];
    /** a GitRepository of its own, else the one holding DIR */
    git?: string;
    prune?: boolean;
    targetNamespace?: string;
  },
): Record<string, unknown> {
  const exprs = [...new Set(k.kinds.map((r) => `${r.apiVersion}/${r.kind}`))]
    .filter((key) => HEALTH_CHECK_EXPRS[key]).sort().map((key) => HEALTH_CHECK_EXPRS[key]);
  const path = k.git ? k.path : [o.repoPath, k.path].filter((p) => p !== "" && p !== ".").join("/");
  return {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name, namespace: o.namespace },
    spec: {
      interval: "10m",
      retryInterval: "1m",
      path: `./${path === "." ? "" : path}`,
      prune: k.prune ?? true,
      sourceRef: { kind: "GitRepository", name: k.git ?? o.gitRepository, namespace: o.namespace },
      ...(k.dependsOn.length
        ? { dependsOn: [...new Set(k.dependsOn)].map((d) => ({ name: d, namespace: o.namespace })) }
        : {}),
      ...("wait" in k.health ? { wait: true } : {
        healthChecks: k.health.checks.map((r) => ({
          apiVersion: r.apiVersion,
          kind: r.kind,
          name: r.name,
          ...(r.namespace ? { namespace: r.namespace } : {}),
        })),
      }),
      ...(exprs.length ? { healthCheckExprs: exprs } : {}),
      ...(k.targetNamespace ? { targetNamespace: k.targetNamespace } : {}),
      timeout: duration(k.timeoutSeconds),
    },
  };
}

/**
 * The task's manifests, one file per apply step, with its label steps
 * written into the objects they label (Flux has no imperative label).
 */
function localManifests(t: FluxTask): { docs: Map<string, string>; refs: ObjectRef[] } {
  const docs = new Map<string, Record<string, unknown>[]>();
  for (const step of t.local) {
    docs.set(`${step.id}.yaml`, step.manifests.flatMap((m) => parseDocs(m.content)));
  }
  for (const label of t.labels) {
    const key = refKey(label.target);
    const target = [...docs.values()].flat().find((o) => refKey(refOfDoc(o)) === key);
    if (!target) {
      throw fluxError(
        t.task.id,
        `step "${label.id}" labels ${label.target.kind} "${label.target.name}", which no manifest of the task holds`,
        "add the object to the task's manifests",
      );
    }
    const meta = target.metadata as Record<string, unknown>;
    const labels = { ...(meta.labels as Record<string, string> | undefined) };
    for (const [k, v] of Object.entries(label.labels)) {
      if (v === null) delete labels[k];
      else labels[k] = v;
    }
    meta.labels = labels;
  }
  const refs = [...docs.values()].flat().map(refOfDoc);
  return {
    docs: new Map([...docs].map(([file, objs]) => [file, toYamlDocs(objs)])),
    refs,
  };
}

function refOfDoc(o: Record<string, unknown>): ObjectRef {
  const meta = o.metadata as { name: string; namespace?: string };
  return {
    apiVersion: String(o.apiVersion),
    kind: String(o.kind),
    name: meta.name,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
  };
}

function uniqueRefs(refs: ObjectRef[]): ObjectRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => !seen.has(refKey(r)) && seen.add(refKey(r)));
}

/** A plain kustomize `kustomization.yaml` listing `resources`. */
export function kustomizeFile(resources: readonly string[]): string {
  return toYaml({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [...resources],
  });
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
