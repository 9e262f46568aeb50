/**
 * `helm-release`: one `helm upgrade --install --wait`, skipped when the
 * release is deployed with this step's fingerprint; a release that our own
 * interrupted run left `pending-*` is repaired first.
 */
import { InputError } from "../../errors.ts";
import { helmUninstallArgv, helmUpgradeArgv, type KubeTarget } from "../../kube/argv.ts";
import type { ReleaseState } from "../../kube/kube.ts";
import type { StepAction } from "../../output/events.ts";
import { fingerprint } from "../../plan/fingerprint.ts";
import type { HelmReleaseStep } from "../../plan/plan.ts";
import { diagnoseWorkloads } from "../diagnose_workloads.ts";
import type { Drift } from "../drift_objects.ts";
import { readReleaseDrift, type ReleaseDrift, sameRevision } from "../release_drift.ts";
import { explainRelease } from "../diff_release.ts";
import { watchWorkloads } from "../wait.ts";
import { chartOf } from "../release_change.ts";
import { startUpgrade } from "../release_upgrade.ts";
import { crdsLeftByUninstall, purgeAfterUninstall, purgeGoneRelease } from "../purge.ts";
import { dropRevision, foreignPendingHint, pendingFromUs } from "../release_repair.ts";
import {
  type Decision,
  type Executor,
  type StepContext,
  type StepResult,
  timeoutSeconds,
  unchanged,
} from "../executor.ts";
import { PrestartedCommand } from "../prestart.ts";

interface Observed {
  key: string;
  fp: string;
  release: ReleaseState | undefined;
  /** for hints: the context and kubeconfig the commands name */
  target: KubeTarget;
  /** the live objects' drift from the release's manifest, when it is deployed and current */
  drift?: Drift[];
}

interface Act {
  action: StepAction;
  /** a pending revision of our own to drop before upgrading */
  dropRevision?: number;
  /** drift to take back: the same upgrade, with conflicts forced */
  drift?: Drift[];
}

export const helmReleaseExecutor: Executor<HelmReleaseStep, Observed, Act> = {
  prefetch(ctx, step) {
    // not a read: the chart's download into the cache starts with the run
    if (step.chart.type === "repo") void ctx.localChart(step.chart);
    // the release's drift, read in process side by side with the other steps' reads
    return step.when ? undefined : readReleaseDrift(ctx, step);
  },

  async observe(ctx, step) {
    const key = `${step.namespace}/${step.release}`;
    const fp = fingerprint(step);
    const release = ctx.releases.get(key);
    const observed: Observed = { key, fp, release, target: ctx.kube.target };
    const early = ctx.prefetched() as Promise<ReleaseDrift | undefined> | undefined;
    if (ctx.settings.force || release?.status !== "deployed" || release.fingerprint !== fp) {
      return observed;
    }
    // unchanged by its fingerprint: is what is live still what the release holds?
    let read = await early;
    if (!sameRevision(read, release)) read = await readReleaseDrift(ctx, step);
    return { ...observed, ...(read?.drift.length ? { drift: read.drift } : {}) };
  },

  decide(_step, { key, fp, release: rel, target, drift }, settings): Decision<Act> {
    if (!rel) return { act: { action: "installed" } };
    if (!settings.force && rel.status === "deployed" && rel.fingerprint === fp) {
      if (drift?.length) return { act: { action: "corrected", drift } };
      return unchanged(`unchanged (release ${key} revision ${rel.revision}, fingerprint ${fp})`);
    }
    if (rel.status.startsWith("pending-")) {
      if (!pendingFromUs(rel)) {
        throw new InputError(
          `Cannot upgrade "${key}": release is ${rel.status} (revision ${rel.revision}) and was not left by meshup`,
          foreignPendingHint(rel, target),
        );
      }
      // our own interrupted run left it pending: drop that revision, then upgrade
      return { act: { action: "repaired", dropRevision: rel.revision } };
    }
    return { act: { action: rel.status === "failed" ? "repaired" : "upgraded" } };
  },

  async prestart(ctx, step) {
    // a first install, which nothing but its deps keeps from acting
    if (step.when || ctx.settings.force || ctx.releases.has(releaseKey(step))) return undefined;
    return await PrestartedCommand.start(
      ctx.kube.proc,
      await releaseArgv(ctx, step, 1),
      // its own name: runs in one process within one second share a run folder
      await ctx.runFilePath(
        `${ctx.task.id}-${step.id}-gate-${crypto.randomUUID().slice(0, 8)}.yaml`,
      ),
      // it may wait at its gate as long as the steps before it take
      { signal: ctx.hooks.signal, timeoutMs: 2 * (ctx.hooks.timeoutMs ?? ctx.timeoutMs()) },
    );
  },

  async act(ctx, step, plan) {
    const key = releaseKey(step);
    const rel = ctx.releases.get(key);
    const early = await ctx.prestarted();
    if (plan.dropRevision !== undefined) {
      await dropRevision(ctx, { name: step.release, namespace: step.namespace }, plan.dropRevision);
    }
    const fp = fingerprint(step);
    // the revision helm makes: a dropped pending one's number is taken again
    const argv = await releaseArgv(ctx, step, plan.dropRevision ?? (rel?.revision ?? 0) + 1);
    // drift: helm 4 applies server-side ("auto" keeps the release's method); a
    // field someone else took is taken back only with conflicts forced
    if (plan.drift) argv.splice(argv.indexOf("--wait"), 0, "--force-conflicts");
    // started early as this very command, for a release still absent: its gate opens now
    const started = early && !rel && sameArgv(early.argv.slice(0, -2), argv) ? early : undefined;
    if (early && !started && await early.cancel()) {
      ctx.emit({
        type: "log",
        level: "info",
        task: ctx.task.id,
        message: `Stopped ${
          ctx.kube.redactor.redactArgv(early.argv).join(" ")
        } (started early; the step changed meanwhile): it changed nothing`,
      });
    }
    // what runs (or runs again, on a retry) names the gate too: by then a plain `{}` file
    if (started) argv.splice(0, argv.length, ...started.argv);
    // While helm --wait runs, its workloads are watched in process: progress as
    // `wait` events, and a pod stuck past its grace stops helm early (the
    // release is then failed and the next run repairs it).
    const stopWatch = new AbortController();
    const stopHelm = new AbortController();
    // an upgrade says so; a DaemonSet's rollout is followed node by node
    const nodes = startUpgrade(ctx, step, stopWatch.signal);
    const waitOptions = ctx.waitOptions();
    const watching = watchWorkloads(ctx.kube, step.workloads, {
      ...waitOptions,
      onProgress: (pending) => {
        // helm applies workloads last: once one exists, its start-up is over
        if (
          pending.length < step.workloads.length || pending.some((p) => p.status !== "NotFound")
        ) ctx.startedUp();
        if (nodes) nodes.workloads(pending);
        else waitOptions.onProgress?.(pending);
      },
      signal: stopWatch.signal,
    }).then((failure) => {
      if (failure) stopHelm.abort(failure);
      return failure;
    });
    const signal = ctx.hooks.signal
      ? AbortSignal.any([ctx.hooks.signal, stopHelm.signal])
      : stopHelm.signal;
    await ctx.startupQuiet();
    const recorded = statusLine();
    const exec = ctx.kube.exec(argv, {
      ...ctx.hooks,
      signal,
      onStdout: recorded.feed,
      ...(started ? { started: () => started.go(recorded.feed) } : {}),
    });
    try {
      // helm prints the release's status once it has recorded it deployed:
      // the step is done then; the process's exit (some ms, as its memory is
      // freed) is waited for by the run
      if (await Promise.race([exec.then(() => false), recorded.deployed])) {
        ctx.finishing(exec.then(() => {}, (e) => {
          if (signal.aborted) return;
          ctx.emit({
            type: "log",
            level: "warn",
            task: ctx.task.id,
            message: `helm recorded release ${key} deployed, then failed: ${
              firstLine((e as Error).message)
            }`,
          });
        }));
      }
    } catch (e) {
      stopWatch.abort();
      const failure = await watching;
      if (failure) throw failure;
      throw new Error(
        `${(e as Error).message}${await diagnoseWorkloads(ctx, step.workloads)}`,
      );
    } finally {
      stopWatch.abort();
      await nodes?.done;
    }
    await watching;
    const revision = (rel && !rel.status.startsWith("pending-install") ? rel.revision : 0) + 1;
    ctx.releases.set(key, {
      name: step.release,
      namespace: step.namespace,
      revision,
      status: "deployed",
      fingerprint: fp,
      ...chartState(step),
    });
    if (!plan.drift) return plan.action;
    return {
      action: plan.action,
      fields: [...new Set(plan.drift.flatMap((d) => d.fields))].sort(),
      objects: plan.drift.map((d) => d.object),
    };
  },

  async down(ctx, step): Promise<StepResult> {
    const key = `${step.namespace}/${step.release}`;
    if (!ctx.releases.has(key)) {
      // an earlier down kept its CRDs: --purge-crds still finds them
      if (await purgeGoneRelease(ctx, step)) return { action: "deleted" };
      return unchanged(`release ${key} not installed`);
    }
    const crds = await crdsLeftByUninstall(ctx, step);
    await ctx.kube.exec(
      helmUninstallArgv(step.release, {
        namespace: step.namespace,
        timeoutSeconds: timeoutSeconds(ctx),
        target: ctx.kube.target,
      }),
      ctx.hooks,
    );
    ctx.releases.delete(key);
    await purgeAfterUninstall(ctx, step, crds);
    return { action: "uninstalled" };
  },

  async explain(ctx, step, observed, decision) {
    return "skip" in decision ? [] : await explainRelease(ctx, step, observed);
  },
};

function releaseKey(step: HelmReleaseStep): string {
  return `${step.namespace}/${step.release}`;
}

/** The step's `helm upgrade --install`: its values files written, a repository chart from the cache. */
async function releaseArgv(
  ctx: StepContext,
  step: HelmReleaseStep,
  revision: number,
): Promise<string[]> {
  const valuesFiles: string[] = [];
  for (const [i, v] of step.values.entries()) {
    valuesFiles.push(
      await ctx.writeRunFile(`${ctx.task.id}-${step.id}-values-${i + 1}.yaml`, v.content),
    );
  }
  const local = step.chart.type === "repo" ? await ctx.localChart(step.chart) : undefined;
  return helmUpgradeArgv(
    local ? { ...step, chart: { type: "tgz", path: local, digest: "" } } : step,
    {
      valuesFiles,
      fingerprint: fingerprint(step),
      task: ctx.task.id,
      timeoutSeconds: timeoutSeconds(ctx),
      target: ctx.kube.target,
      revision,
    },
  );
}

/** Watches helm's stdout for `STATUS: deployed`, which it prints after recording the release. */
function statusLine(): { feed(chunk: string): void; deployed: Promise<true> } {
  let partial: string | undefined = "";
  let found!: (value: true) => void;
  const deployed = new Promise<true>((resolve) => found = resolve);
  return {
    deployed,
    feed(chunk) {
      if (partial === undefined) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      if (!lines.some((l) => l.trimEnd() === "STATUS: deployed")) return;
      found(true);
      partial = undefined;
    },
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The chart the release is at once the step is done (what a later upgrade starts from). */
function chartState(step: HelmReleaseStep): { chart?: string; chartVersion?: string } {
  const { name, version } = chartOf(step);
  return { ...(name ? { chart: name } : {}), ...(version ? { chartVersion: version } : {}) };
}
