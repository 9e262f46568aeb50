/**
 * `render --format flux`: the plan as a folder a user commits and points
 * Flux at. Offline and pure: the same plan and options give the same files.
 */
import { DEFAULT_TIMEOUT_SECONDS } from "../render.ts";
import type { HelmReleaseStep, Plan } from "../plan.ts";
import { toYamlDocs } from "./_yaml.ts";
import { buildKustomizations, kustomizeFile } from "./kustomizations.ts";
import {
  FLUX_GIT_REPOSITORY,
  FLUX_NAMESPACE,
  type FluxOptions,
  fluxTasks,
  releaseNames,
} from "./model.ts";
import { fluxReadme } from "./readme.ts";
import { helmRelease, releaseDeps } from "./releases.ts";
import { buildSources } from "./sources.ts";

export type { FluxOptions } from "./model.ts";
export { fluxRepoPath } from "./repo_path.ts";

/** Renders `plan` as Flux objects: path relative to DIR -> content, sorted by path. */
export function renderFlux(plan: Plan, options: FluxOptions): Map<string, string> {
  const namespace = options.namespace ?? FLUX_NAMESPACE;
  const gitRepository = options.gitRepository ?? FLUX_GIT_REPOSITORY;
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const repoPath = options.repoPath.replace(/^\.\/+/, "").replace(/\/+$/, "") || ".";
  const tasks = fluxTasks(plan);
  const names = releaseNames(tasks);
  const sources = buildSources(tasks, { namespace, releaseNames: names });
  const deps = releaseDeps(tasks, names);
  const helmReleases = new Map<HelmReleaseStep, Record<string, unknown>>();
  for (const t of tasks) {
    for (const r of t.releases) {
      helmReleases.set(
        r,
        helmRelease(r, {
          name: names.get(r)!,
          namespace,
          chart: sources.charts.get(r)!,
          dependsOn: deps.get(r)!,
          timeoutSeconds: r.timeoutSeconds ?? timeoutSeconds,
          task: t.task.id,
        }),
      );
    }
  }
  const { objects, files } = buildKustomizations(tasks, {
    namespace,
    gitRepository,
    repoPath,
    timeoutSeconds,
    git: sources.git,
  }, helmReleases);
  const root: string[] = [];
  if (sources.objects.length) {
    files.set("sources.yaml", toYamlDocs(sources.objects));
    root.push("sources.yaml");
  }
  if (objects.length) {
    files.set("kustomizations.yaml", toYamlDocs(objects));
    root.push("kustomizations.yaml");
  }
  files.set("kustomization.yaml", kustomizeFile(root));
  files.set(
    "README.md",
    fluxReadme(tasks, {
      target: plan.target,
      repoPath,
      namespace,
      gitRepository,
      kustomizations: objects.map((k) => (k.metadata as { name: string }).name),
      releases: tasks.flatMap((t) =>
        t.releases.map((r) => ({ name: names.get(r)!, release: r.release, namespace: r.namespace }))
      ),
    }),
  );
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
