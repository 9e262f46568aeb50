/**
 * The plan seen as Flux sees it: per task, the Helm releases, the plain
 * manifests from the project, the manifests fetched from elsewhere, and
 * the steps Flux cannot express (left to meshup). Also the dependency
 * walks the HelmReleases and Kustomizations share.
 */
import { InputError } from "../../errors.ts";
import type {
  ApplyStep,
  HelmReleaseStep,
  LabelStep,
  ObjectRef,
  Plan,
  PlannedTask,
  SecretStep,
  Step,
  WaitStep,
} from "../plan.ts";

/** What the Flux render needs besides the plan. */
export interface FluxOptions {
  /** where DIR sits in the Git repository Flux reads, e.g. `clusters/homelab/meshup` */
  repoPath: string;
  /** the GitRepository holding DIR (default `flux-system`, as `flux bootstrap` names it) */
  gitRepository?: string;
  /** namespace of every Flux object (default `flux-system`) */
  namespace?: string;
  /** per-step timeout where a step sets none (the run's `--timeout`, else 300 s) */
  timeoutSeconds?: number;
}

/** One task's share of the Flux render. */
export interface FluxTask {
  task: PlannedTask;
  /** `istio:base` -> `istio-base`: folder and object names */
  slug: string;
  releases: HelmReleaseStep[];
  /** apply steps with manifests from the project (their `remote` part is in `remote`) */
  local: ApplyStep[];
  labels: LabelStep[];
  remote: ApplyStep[];
  /** Secrets the user creates; referenced, never rendered */
  secrets: SecretStep[];
  waits: WaitStep[];
  /** steps Flux cannot express, with the reason */
  leftOut: { step: Step; why: string }[];
}

export const FLUX_NAMESPACE = "flux-system";
export const FLUX_GIT_REPOSITORY = "flux-system";
export const NAME_PREFIX = "meshup-";

export function slugOf(taskId: string): string {
  return taskId.replaceAll(":", "-");
}

/** Sorts every step of every task into what Flux does and what stays with meshup. */
export function fluxTasks(plan: Plan): FluxTask[] {
  return plan.tasks.map((task) => {
    const t: FluxTask = {
      task,
      slug: slugOf(task.id),
      releases: [],
      local: [],
      labels: [],
      remote: [],
      secrets: [],
      waits: [],
      leftOut: [],
    };
    for (const step of task.steps) classify(t, step);
    return t;
  });
}

function classify(t: FluxTask, step: Step): void {
  if (step.when) {
    const when = step.when.type === "crd-exists"
      ? `CRD "${step.when.crd}" exists`
      : "default-deny policies exist";
    const why =
      `up applies it only when ${when} at run time (an "auto" option): set that option to "on" to render it`;
    t.leftOut.push({ step, why });
    return;
  }
  switch (step.kind) {
    case "helm-release":
      t.releases.push(step);
      return;
    case "apply":
      if (step.manifests.length) t.local.push(step);
      if (step.remote.length) t.remote.push(step);
      return;
    case "label":
      t.labels.push(step);
      return;
    case "secret":
      t.secrets.push(step);
      return;
    case "wait":
      t.waits.push(step);
      return;
    case "check":
      t.leftOut.push({
        step,
        why: "a check of the live cluster: run `deno task cilium` (or `deno task doctor`)",
      });
      return;
    case "delete":
      t.leftOut.push({ step, why: "a removal: run it with meshup" });
      return;
  }
}

/** Whether the task renders a Kustomization of its own manifests. */
export function hasManifests(t: FluxTask): boolean {
  return t.local.length > 0 || t.labels.length > 0 || t.secrets.length > 0 || t.waits.length > 0;
}

export function hasContent(t: FluxTask): boolean {
  return t.releases.length > 0 || hasManifests(t) || t.remote.length > 0;
}

/**
 * The nearest dependencies of `task` that satisfy `has`, walking through
 * those that do not (`istio:install` has no steps: its deps stand in).
 * In plan order, each once.
 */
export function nearestDeps(
  tasks: readonly FluxTask[],
  task: FluxTask,
  has: (t: FluxTask) => boolean,
): FluxTask[] {
  const byId = new Map(tasks.map((t) => [t.task.id, t]));
  const found = new Set<string>();
  const seen = new Set<string>();
  const walk = (ids: readonly string[]): void => {
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const dep = byId.get(id);
      if (!dep) continue;
      if (has(dep)) found.add(id);
      else walk(dep.task.deps);
    }
  };
  walk(task.task.deps);
  return tasks.filter((t) => found.has(t.task.id));
}

/** HelmRelease names: the release name, or `NAMESPACE-RELEASE` where two would clash. */
export function releaseNames(tasks: readonly FluxTask[]): Map<HelmReleaseStep, string> {
  const all = tasks.flatMap((t) => t.releases);
  const count = new Map<string, number>();
  for (const r of all) count.set(r.release, (count.get(r.release) ?? 0) + 1);
  return new Map(
    all.map((
      r,
    ) => [r, (count.get(r.release) ?? 0) > 1 ? `${r.namespace}-${r.release}` : r.release]),
  );
}

/** Kustomization names of a task, in the order they apply. */
export function kustomizationNames(t: FluxTask): {
  releases?: string;
  manifests?: string;
  remote: Map<ApplyStep, string>;
} {
  return {
    ...(t.releases.length ? { releases: `${NAME_PREFIX}${t.slug}-releases` } : {}),
    ...(hasManifests(t) ? { manifests: `${NAME_PREFIX}${t.slug}` } : {}),
    remote: new Map(t.remote.map((s) => [s, `${NAME_PREFIX}${t.slug}-${s.id}`])),
  };
}

/** Every Kustomization name of a task. */
export function allKustomizations(t: FluxTask): string[] {
  const k = kustomizationNames(t);
  return [
    ...(k.releases ? [k.releases] : []),
    ...(k.manifests ? [k.manifests] : []),
    ...k.remote.values(),
  ];
}

export function refKey(r: ObjectRef): string {
  return `${r.apiVersion}/${r.kind}/${r.namespace ?? ""}/${r.name}`;
}

export function fluxError(what: string, detail: string, hint: string): InputError {
  return new InputError(`Cannot render "${what}" for Flux: ${detail}`, hint);
}

/** `300` -> `300s`. */
export function duration(seconds: number): string {
  return `${seconds}s`;
}
