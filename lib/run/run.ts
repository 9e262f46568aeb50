/**
 * Runs a Plan against a cluster: a ready-driven scheduler over tasks, and
 * for each step observe -> decide -> act -> wait. Emits typed events; never
 * writes to the console itself.
 */
import { createHash } from "node:crypto";
import { parseAllDocuments, stringify } from "yaml";
import {
  annotateManifest,
  helmReuseValuesArgv,
  helmUninstallArgv,
  helmUpgradeArgv,
  kubectlApplyArgv,
  kubectlDeleteArgv,
  kubectlLabelArgv,
  resourceArg,
} from "../kube/argv.ts";
import { describeUnready } from "./diagnose.ts";
import { InputError } from "../errors.ts";
import type { ObjectState, RunEvent, StepAction, TaskOutcome } from "../output/events.ts";
import { fingerprint, FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import { computeStatus } from "./kstatus.ts";
import { CommandError } from "../kube/retry.ts";
import type { CommandHooks, Json, Kube, ReleaseState } from "../kube/kube.ts";
import type {
  ApplyStep,
  CheckStep,
  HelmReleaseStep,
  ObjectRef,
  Plan,
  PlannedTask,
  SecretStep,
  Step,
  StepGuard,
} from "../plan/plan.ts";
import { absolute } from "../config/sources.ts";
import { checkObject, refOf } from "../plan/task.ts";
import { waitReady } from "./wait.ts";

/** Event without its timestamp: the runner stamps it. */
type EventBody = RunEvent extends infer E ? E extends RunEvent ? Omit<E, "time"> : never : never;

export interface RunOptions {
  kube: Kube;
  emit(event: RunEvent): void;
  env: Readonly<Record<string, string | undefined>>;
  /** directory relative local paths are resolved against */
  cwd: string;
  concurrency?: number;
  force?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** `down`: also delete CRDs */
  purgeCrds?: boolean;
  /** fetches a remote manifest (tests inject one) */
  fetchText?: (url: string) => Promise<string>;
  now?: () => number;
}

export interface Summary {
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  tasks: { id: string; outcome: TaskOutcome; durationMs: number; reason?: string }[];
}

/** Everything resolved before the first cluster command: remote manifests, secrets. */
export interface Prepared {
  remote: Map<string, string>;
  secrets: Map<string, string>;
}

const WORKLOAD_KINDS = new Set([
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "Job",
  "CustomResourceDefinition",
]);

/**
 * Fetches remote manifests and reads secret values from the environment.
 * Throws `InputError` (nothing applied) when one is missing or malformed.
 */
export async function prepare(
  plan: Plan,
  options: Pick<RunOptions, "env" | "cwd" | "fetchText" | "kube">,
): Promise<Prepared> {
  const remote = new Map<string, string>();
  const secrets = new Map<string, string>();
  const fetchText = options.fetchText ?? defaultFetch;
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind === "apply") {
        for (const r of step.remote) {
          if (remote.has(r.url)) continue;
          let text: string;
          try {
            text = /^https?:\/\//.test(r.url)
              ? await fetchText(r.url)
              : await Deno.readTextFile(absolute(options.cwd, r.url));
          } catch (e) {
            throw new InputError(
              `Cannot fetch manifest "${r.url}" for ${task.id}/${step.id}: ${(e as Error).message}`,
              "check the network or point the source at a local copy (see cluster.example.yaml)",
            );
          }
          parseObjects(text, r.url);
          remote.set(r.url, text);
        }
      }
      if (step.kind === "secret") {
        for (const env of Object.values(step.fromEnv)) {
          const value = options.env[env];
          if (!value) {
            throw new InputError(
              `Cannot create Secret "${step.namespace}/${step.name}": environment variable ${env} is not set`,
              `export ${env}=<the OIDC client secret> (it is read at run time and never printed)`,
            );
          }
          secrets.set(env, value);
          options.kube.redactor.add(value);
        }
      }
    }
  }
  return { remote, secrets };
}

async function defaultFetch(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return await res.text();
}

function parseObjects(text: string, source: string): Json[] {
  const docs = parseAllDocuments(text);
  const out: Json[] = [];
  for (const [i, d] of docs.entries()) {
    if (d.errors.length) {
      throw new InputError(
        `Cannot parse manifest "${source}" (document ${i + 1}): ${
          d.errors[0].message.split("\n")[0]
        }`,
      );
    }
    const v = d.toJS();
    if (v === null || v === undefined) continue;
    out.push(checkObject(v, `${source} (document ${i + 1})`) as unknown as Json);
  }
  return out;
}

interface StepResult {
  action?: StepAction;
  skip?: { reason: string; unchanged: boolean };
  /** a wait still running: resolves to its error, or undefined once ready */
  ready?: Promise<unknown>;
}

/** Runs `up`-direction plans. */
export async function runPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions,
): Promise<Summary> {
  const ctx = new RunContext(plan, prepared, options);
  ctx.releases = await readReleases(ctx.kube, options.signal);
  if (!options.force) await ctx.prefetch();
  return await ctx.schedule(
    (t) => t.deps,
    (task, depOutcomes) => ctx.runTask(task, false, depOutcomes),
  );
}

/** Tears down: dependents before their deps, steps in reverse. */
export async function downPlan(
  plan: Plan,
  prepared: Prepared,
  options: RunOptions,
): Promise<Summary> {
  const ctx = new RunContext(plan, prepared, options);
  ctx.releases = await readReleases(ctx.kube, options.signal);
  const dependents = new Map<string, string[]>();
  for (const t of plan.tasks) {
    for (const d of t.deps) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  }
  return await ctx.schedule(
    (t) => dependents.get(t.id) ?? [],
    (task, depOutcomes) => ctx.runTask(task, true, depOutcomes),
  );
}

/** The first read of a run: it also proves the cluster answers (else exit 2, nothing applied). */
async function readReleases(kube: Kube, signal?: AbortSignal): Promise<Map<string, ReleaseState>> {
  try {
    return await kube.releases({ signal });
  } catch (e) {
    const detail = e instanceof CommandError
      ? e.stderr.split("\n").filter(Boolean).at(-1) ?? e.message
      : String(e);
    throw new InputError(
      `Cannot reach the cluster: ${detail}`,
      "check the kube context (kubectl config current-context) and that the API server answers (kubectl get ns)",
    );
  }
}

class RunContext {
  readonly plan: Plan;
  readonly prepared: Prepared;
  readonly options: RunOptions;
  readonly kube: Kube;
  releases = new Map<string, ReleaseState>();
  /**
   * The live state each apply and label step reads before acting, all read
   * side by side when the run starts. Sound because every object belongs to
   * one step and only that step of this run writes it; a step that finds its
   * read stale acts anyway (apply and label are idempotent).
   */
  readonly #observed = new Map<string, Promise<Json[] | Json | undefined>>();
  #tmp: string | undefined;
  readonly #now: () => number;

  constructor(plan: Plan, prepared: Prepared, options: RunOptions) {
    this.plan = plan;
    this.prepared = prepared;
    this.options = options;
    this.kube = options.kube;
    this.#now = options.now ?? Date.now;
  }

  async prefetch(): Promise<void> {
    for (const task of this.plan.tasks) {
      for (const step of task.steps) {
        const hooks = this.hooks(task.id, step.id);
        const key = `${task.id}/${step.id}`;
        if (step.kind === "apply" && !step.when) {
          const file = await this.writeTmp(
            `${task.id}-${step.id}.yaml`,
            this.applyContent(step).content,
          );
          const read = this.kube.getManifestObjects(file, {
            ...hooks,
            namespace: step.defaultNamespace,
          });
          this.#observed.set(key, read.catch(() => undefined));
        } else if (step.kind === "label") {
          this.#observed.set(key, this.kube.getObject(step.target, hooks).catch(() => undefined));
        }
      }
    }
  }

  /** The prefetched read of a step, once; later reads go to the cluster. */
  observed(task: PlannedTask, step: Step): Promise<Json[] | Json | undefined> | undefined {
    const key = `${task.id}/${step.id}`;
    const read = this.#observed.get(key);
    this.#observed.delete(key);
    return read;
  }

  emit(body: EventBody): void {
    this.options.emit({ ...body, time: new Date().toISOString() } as RunEvent);
  }

  /** Ready-driven: a task starts once its own deps are done, up to `concurrency` at once. */
  async schedule(
    depsOf: (t: PlannedTask) => string[],
    exec: (
      t: PlannedTask,
      depOutcomes: TaskOutcome[],
    ) => Promise<{ outcome: TaskOutcome; reason?: string }>,
  ): Promise<Summary> {
    const start = this.#now();
    const limit = this.options.concurrency ?? 4;
    const signal = this.options.signal;
    const state = new Map<string, { outcome?: TaskOutcome; durationMs: number; reason?: string }>();
    const running = new Map<string, Promise<void>>();
    const inPlan = new Set(this.plan.tasks.map((t) => t.id));
    const finished = (id: string): boolean => state.get(id)?.outcome !== undefined;
    const good = (id: string): boolean =>
      ["done", "unchanged", "skipped"].includes(state.get(id)?.outcome ?? "");
    const startable = (): boolean => {
      let changed = false;
      for (const task of this.plan.tasks) {
        if (state.has(task.id) || signal?.aborted) continue;
        const deps = depsOf(task).filter((d) => inPlan.has(d));
        const blocked = deps.find((d) => finished(d) && !good(d));
        if (blocked) {
          state.set(task.id, {
            outcome: "not-run",
            durationMs: 0,
            reason: `"${blocked}" did not complete`,
          });
          this.emit({ type: "task-done", task: task.id, outcome: "not-run", durationMs: 0 });
          changed = true;
          continue;
        }
        if (running.size >= limit || !deps.every(good)) continue;
        state.set(task.id, { durationMs: 0 });
        const t0 = this.#now();
        this.emit({ type: "task-start", task: task.id });
        running.set(
          task.id,
          exec(task, deps.map((d) => state.get(d)!.outcome!)).then((r) => {
            const durationMs = this.#now() - t0;
            state.set(task.id, { outcome: r.outcome, durationMs, reason: r.reason });
            this.emit({ type: "task-done", task: task.id, outcome: r.outcome, durationMs });
          }).finally(() => running.delete(task.id)),
        );
        changed = true;
      }
      return changed;
    };
    try {
      for (;;) {
        while (startable()) { /* mark and start until nothing changes */ }
        if (running.size === 0) break;
        await Promise.race(running.values());
      }
    } finally {
      await Promise.allSettled(running.values());
      if (this.#tmp) await Deno.remove(this.#tmp, { recursive: true }).catch(() => undefined);
    }
    for (const t of this.plan.tasks) {
      if (!state.get(t.id)?.outcome) {
        state.set(t.id, {
          outcome: "not-run",
          durationMs: 0,
          reason: signal?.aborted ? "interrupted" : "not reached",
        });
      }
    }
    const tasks = this.plan.tasks.map((t) =>
      ({ id: t.id, ...state.get(t.id)! }) as Summary["tasks"][number]
    );
    const ok = tasks.every((t) => t.outcome !== "failed" && t.outcome !== "not-run");
    const summary: Summary = {
      ok,
      interrupted: !!signal?.aborted,
      durationMs: this.#now() - start,
      tasks,
    };
    this.emit({
      type: "summary",
      ok,
      durationMs: summary.durationMs,
      tasks: tasks.map((t) => ({
        id: t.id,
        outcome: t.outcome,
        durationMs: t.durationMs,
        ...(t.reason ? { reason: t.reason } : {}),
      })),
    });
    return summary;
  }

  async runTask(
    task: PlannedTask,
    down: boolean,
    depOutcomes: TaskOutcome[] = [],
  ): Promise<{ outcome: TaskOutcome; reason?: string }> {
    const steps = down ? [...task.steps].reverse() : task.steps;
    let changed = 0;
    let unchanged = 0;
    // waits of applied workloads run while the task's next steps do; they are
    // settled before a wait step and at the end of the task
    const deferred: { step: Step; t0: number; result: StepResult }[] = [];
    const stopWaits = new AbortController();
    const signal = this.options.signal
      ? AbortSignal.any([this.options.signal, stopWaits.signal])
      : stopWaits.signal;
    const finish = (step: Step, t0: number, r: StepResult): void => {
      if (r.skip) {
        if (r.skip.unchanged) unchanged++;
        this.emit({ type: "step-skip", task: task.id, step: step.id, reason: r.skip.reason });
        return;
      }
      // a passing check or a wait changes nothing in the cluster
      if (r.action === "checked" || r.action === "waited") unchanged++;
      else changed++;
      this.emit({
        type: "step-done",
        task: task.id,
        step: step.id,
        action: r.action!,
        durationMs: this.#now() - t0,
      });
    };
    const fail = (step: Step, t0: number, e: unknown): { outcome: TaskOutcome; reason: string } => {
      stopWaits.abort();
      const aborted = this.options.signal?.aborted;
      const message = this.kube.redactor.redact(
        aborted ? "interrupted" : e instanceof Error ? withHint(e) : String(e),
      );
      this.emit({
        type: "step-failed",
        task: task.id,
        step: step.id,
        error: message,
        durationMs: this.#now() - t0,
      });
      return { outcome: aborted ? "not-run" : "failed", reason: `step "${step.id}" failed` };
    };
    const settle = async (): Promise<{ outcome: TaskOutcome; reason: string } | undefined> => {
      while (deferred.length) {
        const { step, t0, result } = deferred.shift()!;
        const error = await result.ready;
        if (error) {
          await Promise.all(deferred.map((d) => d.result.ready));
          return fail(step, t0, error);
        }
        finish(step, t0, result);
      }
      return undefined;
    };
    try {
      for (const step of steps) {
        if (this.options.signal?.aborted) return { outcome: "not-run", reason: "interrupted" };
        if (step.kind === "wait") {
          const failed = await settle();
          if (failed) return failed;
        }
        const t0 = this.#now();
        this.emit({
          type: "step-start",
          task: task.id,
          step: step.id,
          kind: step.kind,
          description: step.description,
        });
        try {
          const r = down ? await this.downStep(task, step) : await this.upStep(task, step, signal);
          if (r.ready) deferred.push({ step, t0, result: r });
          else finish(step, t0, r);
        } catch (e) {
          await Promise.all(deferred.map((d) => d.result.ready));
          return fail(step, t0, e);
        }
      }
      const failed = await settle();
      if (failed) return failed;
    } finally {
      stopWaits.abort();
    }
    if (changed > 0) return { outcome: "done" };
    if (steps.length === 0) {
      // an aggregate reports what its deps did; a task with nothing to do is skipped
      if (task.deps.length === 0) {
        return { outcome: "skipped", reason: "nothing to do for this config" };
      }
      return { outcome: depOutcomes.includes("done") ? "done" : "unchanged" };
    }
    return { outcome: unchanged > 0 ? "unchanged" : "skipped" };
  }

  hooks(task: string, step: string): CommandHooks {
    return {
      signal: this.options.signal,
      onCommand: (argv) => this.emit({ type: "cmd", task, step, argv }),
      onRetry: (info) =>
        this.emit({
          type: "retry",
          task,
          step,
          attempt: info.attempt,
          delayMs: info.delayMs,
          reason: info.reason,
        }),
    };
  }

  timeoutMs(step: Step): number {
    return (step.timeoutSeconds ?? this.options.timeoutSeconds ?? 300) * 1000;
  }

  async tmp(): Promise<string> {
    this.#tmp ??= await Deno.makeTempDir({ prefix: "meshup-" });
    return this.#tmp;
  }

  async writeTmp(name: string, content: string): Promise<string> {
    const path = `${await this.tmp()}/${name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
    await Deno.writeTextFile(path, content);
    return path;
  }

  // ---- up ------------------------------------------------------------

  async upStep(task: PlannedTask, step: Step, signal?: AbortSignal): Promise<StepResult> {
    if (step.when && !(await this.guard(step.when, this.hooks(task.id, step.id)))) {
      return { skip: { reason: guardReason(step.when), unchanged: false } };
    }
    switch (step.kind) {
      case "helm-release":
        return await this.helmRelease(task, step);
      case "apply":
        return await this.apply(task, step, signal);
      case "label":
        return await this.label(task, step, step.labels);
      case "secret":
        return await this.secret(task, step);
      case "wait":
        await waitReady(this.kube, step.objects, this.waitOptions(task, step));
        return { action: "waited" };
      case "check":
        return await this.check(task, step);
      case "delete":
        return await this.deleteRefs(task, step, step.objects);
    }
  }

  waitOptions(task: PlannedTask, step: Step): Parameters<typeof waitReady>[2] {
    return {
      ...this.hooks(task.id, step.id),
      subject: `${task.id}/${step.id}`,
      timeoutMs: this.timeoutMs(step),
      onProgress: (pending: ObjectState[]) =>
        this.emit({ type: "wait", task: task.id, step: step.id, pending }),
    };
  }

  async guard(when: StepGuard, hooks: CommandHooks): Promise<boolean> {
    if (when.type === "crd-exists") return await this.kube.crdExists(when.crd, hooks);
    // one read per kind, side by side; a Cilium kind whose CRD is absent has no policies
    const lists = await Promise.all([
      this.kube.getJson(["networkpolicies", "--all-namespaces"], hooks),
      ...["ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io"].map((
        kind,
      ) =>
        this.kube.exec(this.kube.kubectlArgv("get", kind, "--all-namespaces", "-o", "json"), {
          ...hooks,
          allowFailure: true,
        })
          .then((
            r,
          ) => (r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) as Json : { items: [] }))
      ),
    ]);
    const [nps, ...cilium] = lists;
    return (nps.items as Json[] ?? []).some(isDefaultDenyNetworkPolicy) ||
      cilium.some((l) => (l.items as Json[] ?? []).some(isDefaultDenyCiliumPolicy));
  }

  async helmRelease(task: PlannedTask, step: HelmReleaseStep): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    const fp = fingerprint(step);
    const key = `${step.namespace}/${step.release}`;
    const rel = this.releases.get(key);
    let action: StepAction = rel ? "upgraded" : "installed";
    if (rel && !this.options.force && rel.status === "deployed" && rel.fingerprint === fp) {
      return {
        skip: {
          reason: `unchanged (release ${key} revision ${rel.revision}, fingerprint ${fp})`,
          unchanged: true,
        },
      };
    }
    if (rel && rel.status.startsWith("pending-")) {
      if (!rel.fingerprint) {
        throw new InputError(
          `Cannot upgrade "${key}": release is ${rel.status} (revision ${rel.revision}) and was not left by meshup`,
          `another tool may be working on it; if not, run: helm rollback ${step.release} -n ${step.namespace}`,
        );
      }
      // our own interrupted run left it pending: drop that revision, then upgrade
      await this.kube.exec(
        this.kube.kubectlArgv(
          "delete",
          "secret",
          `sh.helm.release.v1.${step.release}.v${rel.revision}`,
          `--namespace=${step.namespace}`,
          "--ignore-not-found",
        ),
        hooks,
      );
      action = "repaired";
    } else if (rel && rel.status === "failed") {
      action = "repaired";
    }
    const valuesFiles: string[] = [];
    for (const [i, v] of step.values.entries()) {
      valuesFiles.push(
        await this.writeTmp(`${task.id}-${step.id}-values-${i + 1}.yaml`, v.content),
      );
    }
    const argv = helmUpgradeArgv(step, {
      valuesFiles,
      fingerprint: fp,
      task: task.id,
      timeoutSeconds: Math.round(this.timeoutMs(step) / 1000),
      target: this.kube.target,
    });
    try {
      await this.kube.exec(argv, hooks);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}${await this.diagnoseWorkloads(step.workloads, hooks)}`,
      );
    }
    const revision = (rel && !rel.status.startsWith("pending-install") ? rel.revision : 0) + 1;
    this.releases.set(key, {
      name: step.release,
      namespace: step.namespace,
      revision,
      status: "deployed",
      fingerprint: fp,
    });
    return { action };
  }

  /** After a failed helm wait: the state of the workloads, their pods and events. */
  async diagnoseWorkloads(refs: ObjectRef[], hooks: CommandHooks): Promise<string> {
    if (refs.length === 0) return "";
    try {
      const objects: ObjectState[] = [];
      for (const ref of refs) {
        const obj = await this.kube.getObject(ref, hooks);
        objects.push(
          obj ? { ref, ...computeStatus(obj) } : { ref, status: "NotFound", message: "not found" },
        );
      }
      const unready = objects.filter((o) => o.status !== "Current");
      if (unready.length === 0) return "";
      const namespaces = [
        ...new Set(unready.map((o) => o.ref.namespace).filter((n): n is string => !!n)),
      ];
      const { pods, events } = await this.kube.podsAndEvents(namespaces, hooks);
      return `\n${describeUnready({ objects: unready, pods, events })}`;
    } catch {
      return "";
    }
  }

  /** The step's objects with fingerprint annotations, as one manifest. */
  applyContent(step: ApplyStep): { content: string; fp: string; objects: Json[] } {
    const remote = step.remote.map((r) => this.prepared.remote.get(r.url) ?? "");
    const fp = fingerprint(step, remote);
    const parts = [...step.manifests.map((m) => m.content), ...remote];
    const objects = parts.flatMap((p, i) => parseObjects(p, `manifest ${i + 1}`));
    const content = annotateManifest(
      objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"),
      fp,
    );
    return { content, fp, objects };
  }

  async apply(task: PlannedTask, step: ApplyStep, signal?: AbortSignal): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    const { content, fp, objects } = this.applyContent(step);
    const file = await this.writeTmp(`${task.id}-${step.id}.yaml`, content);
    const refs = objects.map((o) => {
      const ref = refOf(o as never);
      if (
        !ref.namespace && step.defaultNamespace && o.kind !== "Namespace" &&
        o.kind !== "CustomResourceDefinition"
      ) {
        ref.namespace = step.defaultNamespace;
      }
      return ref;
    });
    const waitFor = refs.filter((r) => WORKLOAD_KINDS.has(r.kind));
    // CRDs must be Established before the next step uses them: wait now;
    // workloads become ready while the task's next steps run
    const waitLater = async (): Promise<{ ready?: Promise<unknown> }> => {
      if (waitFor.length === 0) return {};
      const options = { ...this.waitOptions(task, step), ...(signal ? { signal } : {}) };
      if (step.crds) {
        await waitReady(this.kube, waitFor, options);
        return {};
      }
      return {
        ready: waitReady(this.kube, waitFor, options).then(
          () => undefined,
          (e) => e ?? new Error("wait failed"),
        ),
      };
    };
    if (!this.options.force) {
      const prefetched = this.observed(task, step) as Promise<Json[] | undefined> | undefined;
      const live = await (prefetched ??
        this.kube.getManifestObjects(file, { ...hooks, namespace: step.defaultNamespace }));
      if (
        live && live.length === objects.length &&
        live.every((o) => annotations(o)[FINGERPRINT_KEY] === fp)
      ) {
        return {
          skip: {
            reason: `unchanged (${objects.length} objects, fingerprint ${fp})`,
            unchanged: true,
          },
          ...(await waitLater()),
        };
      }
    }
    await this.kube.exec(
      kubectlApplyArgv(file, { target: this.kube.target, namespace: step.defaultNamespace }),
      hooks,
    );
    return { action: "applied", ...(await waitLater()) };
  }

  async label(
    task: PlannedTask,
    step: Step & { target: ObjectRef },
    labels: Record<string, string | null>,
  ): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    const prefetched = this.observed(task, step) as Promise<Json | undefined> | undefined;
    // read when the run started: the object may have been created since, so
    // only a read that shows it is trusted; else read again
    const early = prefetched ? await prefetched : undefined;
    const adding = Object.values(labels).every((v) => v !== null);
    if (prefetched && !early && adding) {
      // absent when the run started, created by an earlier step since: label it
      await this.kube.exec(
        kubectlLabelArgv(step.target, labels, { target: this.kube.target }),
        hooks,
      );
      return { action: "labelled" };
    }
    const obj = early ?? await this.kube.getObject(step.target, hooks);
    if (!obj) {
      if (Object.values(labels).every((v) => v === null)) {
        return {
          skip: {
            reason: `${step.target.kind} ${step.target.name} does not exist`,
            unchanged: true,
          },
        };
      }
      throw new Error(`Cannot label ${resourceArg(step.target)}: not found`);
    }
    const live = ((obj.metadata as Json)?.labels ?? {}) as Record<string, string>;
    const needed = Object.entries(labels).filter((
      [k, v],
    ) => (v === null ? k in live : live[k] !== v));
    if (needed.length === 0 && !this.options.force) {
      return { skip: { reason: "labels already as wanted", unchanged: true } };
    }
    await this.kube.exec(
      kubectlLabelArgv(step.target, labels, { target: this.kube.target }),
      hooks,
    );
    return { action: "labelled" };
  }

  async secret(task: PlannedTask, step: SecretStep): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    const values = Object.entries(step.fromEnv).map(([k, env]) =>
      [k, this.prepared.secrets.get(env) ?? ""] as const
    );
    const digest = createHash("sha256").update(values.map(([k, v]) => `${k}=${v}`).join("\0"))
      .digest("hex");
    const fp = fingerprint(step, [digest]);
    const ref = { apiVersion: "v1", kind: "Secret", name: step.name, namespace: step.namespace };
    if (!this.options.force) {
      const live = await this.kube.getObject(ref, hooks);
      if (live && annotations(live)[FINGERPRINT_KEY] === fp) {
        return { skip: { reason: `unchanged (fingerprint ${fp})`, unchanged: true } };
      }
    }
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: step.name,
        namespace: step.namespace,
        annotations: { [FINGERPRINT_KEY]: fp },
      },
      type: "Opaque",
      data: Object.fromEntries(
        values.map(([k, v]) => [k, btoa(String.fromCharCode(...new TextEncoder().encode(v)))]),
      ),
    };
    await this.kube.exec(kubectlApplyArgv("-", { target: this.kube.target }), {
      ...hooks,
      stdin: JSON.stringify(secret),
    });
    return { action: "created" };
  }

  async check(task: PlannedTask, step: CheckStep): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    const c = step.check;
    const cmRef = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: c.configMap,
      namespace: c.namespace,
    };
    const read = async (): Promise<
      { key: string; got: string | undefined; want: string }[] | undefined
    > => {
      const cm = await this.kube.getObject(cmRef, hooks);
      if (!cm) return undefined;
      const data = (cm.data ?? {}) as Record<string, string>;
      return Object.entries(c.expect).map(([key, want]) => ({ key, got: data[key], want })).filter((
        d,
      ) => d.got !== d.want);
    };
    const diff = await read();
    if (diff === undefined) {
      return {
        skip: {
          reason: `Cilium not found (no ConfigMap ${c.namespace}/${c.configMap})`,
          unchanged: false,
        },
      };
    }
    if (diff.length === 0) return { action: "checked" };
    const what = diff.map((d) =>
      `${d.key} is ${d.got === undefined ? "unset" : `"${d.got}"`} (want "${d.want}")`
    ).join(", ");
    if (!c.fix.enabled) {
      throw new InputError(
        `Cilium is not configured for ambient: ${what}`,
        `re-run with --fix (or cilium.mode: fix) to upgrade release "${c.fix.release}" with --reuse-values ${
          Object.entries(c.fix.set).map(([k, v]) => `--set ${k}=${v}`).join(" ")
        }`,
      );
    }
    const installed = c.fix.chart.type === "repo" || c.fix.chart.type === "oci"
      ? await this.kube.installedChartVersion(c.fix.release, c.namespace, hooks)
      : undefined;
    await this.kube.exec(
      helmReuseValuesArgv({
        release: c.fix.release,
        namespace: c.namespace,
        chart: c.fix.chart,
        installedVersion: installed,
        set: c.fix.set,
        timeoutSeconds: Math.round(this.timeoutMs(step) / 1000),
        target: this.kube.target,
      }),
      hooks,
    );
    const after = await read();
    if (after && after.length > 0) {
      throw new Error(
        `Cilium still not configured for ambient after the upgrade: ${
          after.map((d) => d.key).join(", ")
        }`,
      );
    }
    // the agents read cilium-config at start: restart them and wait
    const ds = { apiVersion: "apps/v1", kind: "DaemonSet", name: "cilium", namespace: c.namespace };
    if (await this.kube.getObject(ds, hooks)) {
      await this.kube.exec(
        this.kube.kubectlArgv(
          "rollout",
          "restart",
          "daemonset/cilium",
          `--namespace=${c.namespace}`,
        ),
        hooks,
      );
      await waitReady(this.kube, [ds], this.waitOptions(task, step));
    }
    return { action: "fixed" };
  }

  // ---- down ----------------------------------------------------------

  async downStep(task: PlannedTask, step: Step): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    // a kind whose CRD is gone has nothing left to delete
    if (step.when?.type === "crd-exists" && !(await this.guard(step.when, hooks))) {
      return { skip: { reason: guardReason(step.when), unchanged: true } };
    }
    switch (step.kind) {
      case "helm-release": {
        const key = `${step.namespace}/${step.release}`;
        if (!this.releases.has(key)) {
          return { skip: { reason: `release ${key} not installed`, unchanged: true } };
        }
        await this.kube.exec(
          helmUninstallArgv(step.release, {
            namespace: step.namespace,
            timeoutSeconds: Math.round(this.timeoutMs(step) / 1000),
            target: this.kube.target,
          }),
          hooks,
        );
        this.releases.delete(key);
        return { action: "uninstalled" };
      }
      case "apply": {
        if (step.crds && !this.options.purgeCrds) {
          return {
            skip: { reason: "CRDs are kept (use --purge-crds to delete them)", unchanged: true },
          };
        }
        const { content } = this.applyContent(step);
        const file = await this.writeTmp(`${task.id}-${step.id}-down.yaml`, content);
        const live = await this.kube.getManifestObjects(file, {
          ...hooks,
          namespace: step.defaultNamespace,
        });
        if (live !== undefined && live.length === 0) {
          return { skip: { reason: "nothing to delete", unchanged: true } };
        }
        await this.kube.exec(
          kubectlDeleteArgv(file, { target: this.kube.target, namespace: step.defaultNamespace }),
          hooks,
        );
        return { action: "deleted" };
      }
      case "label":
        return await this.label(
          task,
          step,
          Object.fromEntries(Object.keys(step.labels).map((k) => [k, null])),
        );
      case "secret":
        return await this.deleteRefs(task, step, [{
          apiVersion: "v1",
          kind: "Secret",
          name: step.name,
          namespace: step.namespace,
        }]);
      case "wait":
      case "check":
        return { skip: { reason: "nothing to undo", unchanged: true } };
      case "delete":
        return { skip: { reason: "nothing to undo", unchanged: true } };
    }
  }

  async deleteRefs(task: PlannedTask, step: Step, refs: ObjectRef[]): Promise<StepResult> {
    const hooks = this.hooks(task.id, step.id);
    let deleted = 0;
    for (const ref of refs) {
      if (!(await this.kube.getObject(ref, hooks))) continue;
      await this.kube.exec(
        this.kube.kubectlArgv(
          "delete",
          resourceArg(ref),
          ...(ref.namespace ? [`--namespace=${ref.namespace}`] : []),
          "--ignore-not-found",
        ),
        hooks,
      );
      deleted++;
    }
    return deleted
      ? { action: "deleted" }
      : { skip: { reason: "nothing to delete", unchanged: true } };
  }
}

function annotations(o: Json): Record<string, string> {
  return ((o.metadata as Json)?.annotations ?? {}) as Record<string, string>;
}

function guardReason(when: StepGuard): string {
  return when.type === "crd-exists"
    ? `CRD ${when.crd} not installed`
    : "no default-deny policy in the cluster";
}

function withHint(e: Error): string {
  const hint = (e as { hint?: string }).hint;
  return hint ? `${e.message}\nhint: ${hint}` : e.message;
}

/** A NetworkPolicy selecting every pod that allows nothing in some direction. */
export function isDefaultDenyNetworkPolicy(np: Json): boolean {
  const spec = (np.spec ?? {}) as Json;
  const selector = (spec.podSelector ?? {}) as Json;
  if (Object.keys(selector).some((k) => Object.keys((selector[k] ?? {}) as Json).length > 0)) {
    return false;
  }
  const types = (spec.policyTypes as string[] | undefined) ?? ["Ingress"];
  const ingress = spec.ingress as unknown[] | undefined;
  const egress = spec.egress as unknown[] | undefined;
  return (types.includes("Ingress") && (!ingress || ingress.length === 0)) ||
    (types.includes("Egress") && (!egress || egress.length === 0));
}

/** A Cilium policy selecting every endpoint (default-deny for it on Cilium >= 1.16), other than ours. */
export function isDefaultDenyCiliumPolicy(p: Json): boolean {
  const name = (p.metadata as Json)?.name;
  if (name === "allow-ambient-hostprobes") return false;
  const spec = (p.spec ?? {}) as Json;
  const sel = spec.endpointSelector as Json | undefined;
  const edd = spec.enableDefaultDeny as Json | undefined;
  if (edd && edd.ingress === false && edd.egress === false) return false;
  return sel !== undefined &&
    Object.keys(sel).every((k) => Object.keys((sel[k] ?? {}) as Json).length === 0);
}
