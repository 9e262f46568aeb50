/**
 * `apply`: server-side apply of a step's objects under one field manager,
 * skipped when every live object carries the step's fingerprint. CRDs are
 * waited for (Established) before the next step; workloads become ready
 * while the task's next steps run.
 */
import { kubectlApplyArgv, kubectlDeleteArgv } from "../../kube/argv.ts";
import type { Json } from "../../kube/kube.ts";
import { FINGERPRINT_KEY } from "../../plan/fingerprint.ts";
import type { ApplyStep } from "../../plan/plan.ts";
import type { Executor, StepContext, StepResult } from "../executor.ts";
import { unchanged } from "../executor.ts";
import { annotationsOf, type ApplyContent, applyContent } from "../manifest.ts";
import { waitReady } from "../wait.ts";

const WORKLOAD_KINDS = new Set([
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "Job",
  "CustomResourceDefinition",
]);

interface Observed extends ApplyContent {
  /** the manifest on disk, as kubectl reads it */
  file: string;
  /** the live objects that exist, or undefined when unread (`--force`) or unreadable */
  live?: Json[];
}

async function manifestFile(ctx: StepContext, step: ApplyStep, suffix = ""): Promise<
  ApplyContent & { file: string }
> {
  const content = applyContent(step, ctx.prepared);
  const file = await ctx.writeRunFile(`${ctx.task.id}-${step.id}${suffix}.yaml`, content.content);
  return { ...content, file };
}

async function readLive(
  ctx: StepContext,
  step: ApplyStep,
  m: ApplyContent & { file: string },
): Promise<Json[] | undefined> {
  return await ctx.kube.liveObjects(m.refs, {
    ...ctx.hooks,
    file: m.file,
    namespace: step.defaultNamespace,
  });
}

export const applyExecutor: Executor<ApplyStep, Observed, Observed> = {
  prefetch(ctx, step) {
    if (step.when) return undefined;
    return manifestFile(ctx, step).then((m) => readLive(ctx, step, m));
  },

  async observe(ctx, step) {
    const m = await manifestFile(ctx, step);
    if (ctx.settings.force) return m;
    const prefetched = ctx.prefetched() as Promise<Json[] | undefined> | undefined;
    return { ...m, live: await (prefetched ?? readLive(ctx, step, m)) };
  },

  decide(_step, observed, settings) {
    const { live, objects, fp } = observed;
    if (
      !settings.force && live && live.length === objects.length &&
      live.every((o) => annotationsOf(o)[FINGERPRINT_KEY] === fp)
    ) {
      return unchanged(`unchanged (${objects.length} objects, fingerprint ${fp})`);
    }
    return { act: observed };
  },

  async act(ctx, step, { file, objects, refs }) {
    const argv = kubectlApplyArgv(file, {
      target: ctx.kube.target,
      namespace: step.defaultNamespace,
    });
    // in process when the client is there: the command is shown so it can
    // be repeated by hand, and its file stays on disk until the run ends
    await ctx.kube.applyObjects(objects, { ...ctx.hooks, argv, refs });
    return "applied";
  },

  async wait(ctx, step, { refs }) {
    const waitFor = refs.filter((r) => WORKLOAD_KINDS.has(r.kind));
    if (waitFor.length === 0) return {};
    const options = ctx.waitOptions();
    // CRDs must be Established before the next step uses them
    if (step.crds) {
      await waitReady(ctx.kube, waitFor, options);
      return {};
    }
    return {
      ready: waitReady(ctx.kube, waitFor, options).then(
        () => undefined,
        (e) => e ?? new Error("wait failed"),
      ),
    };
  },

  async down(ctx, step): Promise<StepResult> {
    if (step.crds && !ctx.settings.purgeCrds) {
      return unchanged("CRDs are kept (use --purge-crds to delete them)");
    }
    const m = await manifestFile(ctx, step, "-down");
    const live = await readLive(ctx, step, m);
    if (live !== undefined && live.length === 0) return unchanged("nothing to delete");
    await ctx.kube.exec(
      kubectlDeleteArgv(m.file, { target: ctx.kube.target, namespace: step.defaultNamespace }),
      ctx.hooks,
    );
    return { action: "deleted" };
  },
};
