/**
 * `apply`: server-side apply of a step's objects under one field manager,
 * skipped when every live object carries the step's fingerprint and a
 * server-side dry-run apply would change none of them; a drifted field is
 * taken back ("corrected") and named. CRDs are
 * waited for (Established) before the next step; workloads become ready
 * while the task's next steps run.
 */
import { kubectlApplyArgv, kubectlDeleteArgv } from "../../kube/argv.ts";
import type { Json } from "../../kube/kube.ts";
import { FIELD_MANAGER, FINGERPRINT_KEY } from "../../plan/fingerprint.ts";
import type { ApplyStep, ObjectRef } from "../../plan/plan.ts";
import type { Executor, StepContext, StepResult } from "../executor.ts";
import { timeoutSeconds, unchanged } from "../executor.ts";
import { withFinalizers } from "../finalizers.ts";
import { annotationsOf, type ApplyContent, applyContent, stepRefs } from "../manifest.ts";
import { waitReady } from "../wait.ts";
import { explainApply } from "../diff_apply.ts";
import { type Drift, driftOf } from "../drift_objects.ts";

const WORKLOAD_KINDS = new Set([
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "Job",
  "CustomResourceDefinition",
]);

interface Observed extends ApplyContent {
  /** the live objects that exist, or undefined when unread (`--force`) or unreadable */
  live?: Json[];
  /** the live objects' drift from what applying would make of them, when they are all in place */
  drift?: Drift[];
}

/** What an early read finds: the live objects and, when they are all ours and current, drift. */
interface Read {
  live?: Json[];
  drift?: Drift[];
}

/** Writes the step's manifest where the printed command can find it again. */
async function manifestFile(
  ctx: StepContext,
  step: ApplyStep,
  m: ApplyContent,
  suffix = "",
): Promise<string> {
  return await ctx.writeRunFile(`${ctx.task.id}-${step.id}${suffix}.yaml`, m.content);
}

async function readLive(
  ctx: StepContext,
  step: ApplyStep,
  refs: ObjectRef[] = applyContent(step, ctx.prepared).refs,
): Promise<Json[] | undefined> {
  return await ctx.kube.liveObjects(refs, {
    ...ctx.hooks,
    file: () => manifestFile(ctx, step, applyContent(step, ctx.prepared)),
    namespace: step.defaultNamespace,
  });
}

/** Every planned object is live and carries the step's fingerprint. */
function inPlace(m: ApplyContent, live: Json[] | undefined): live is Json[] {
  return !!live && live.length === m.objects.length &&
    live.every((o) => annotationsOf(o)[FINGERPRINT_KEY] === m.fp);
}

/**
 * The live objects, then, when the fingerprints say unchanged, what a
 * server-side dry-run apply of the step's objects would change in them
 * (in process, side by side: no process on a no-op run).
 */
async function read(ctx: StepContext, step: ApplyStep, refs?: ObjectRef[]): Promise<Read> {
  const live = await readLive(ctx, step, refs);
  // none there, or one not ours: not in place, and nothing yet to render for it
  if (!live?.length || live.some((o) => !annotationsOf(o)[FINGERPRINT_KEY])) return { live };
  const m = applyContent(step, ctx.prepared);
  if (!inPlace(m, live)) return { live };
  try {
    const wouldBe = await ctx.kube.dryRunApply(m.objects, {
      ...ctx.hooks,
      fieldManager: FIELD_MANAGER,
      refs: m.refs,
      file: () => manifestFile(ctx, step, m, "-dry-run"),
      namespace: step.defaultNamespace,
    });
    return { live, drift: driftOf(live, wouldBe) };
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    ctx.emit({
      type: "log",
      level: "warn",
      task: ctx.task.id,
      message: `Cannot check drift of step "${step.id}": ${
        ctx.kube.redactor.redact((e as Error).message).split("\n")[0]
      }`,
    });
    return { live };
  }
}

export const applyExecutor: Executor<ApplyStep, Observed, Observed> = {
  prefetch(ctx, step) {
    if (step.when) return undefined;
    // the refs alone, without rendering the manifest: the reads go out first;
    // the manifest is rendered once they are back, before the step needs it
    return read(ctx, step, ctx.kube.api ? stepRefs(step, ctx.prepared) : undefined).then((r) => {
      applyContent(step, ctx.prepared);
      return r;
    });
  },

  async observe(ctx, step) {
    const m = applyContent(step, ctx.prepared);
    if (ctx.settings.force) return m;
    const prefetched = ctx.prefetched() as Promise<Read | undefined> | undefined;
    return { ...m, ...(await prefetched ?? await read(ctx, step, m.refs)) };
  },

  decide(_step, observed, settings) {
    const { live, objects, fp, drift } = observed;
    if (!settings.force && inPlace(observed, live)) {
      if (drift?.length) return { act: observed };
      return unchanged(`unchanged (${objects.length} objects, fingerprint ${fp})`);
    }
    return { act: { ...observed, drift: undefined } };
  },

  async act(ctx, step, m) {
    const { objects, refs, drift } = m;
    const argv = kubectlApplyArgv(await manifestFile(ctx, step, m), {
      target: ctx.kube.target,
      namespace: step.defaultNamespace,
    });
    // in process when the client is there: the command is shown so it can
    // be repeated by hand, and its file stays on disk until the run ends;
    // a drifted field is taken back: conflicts are forced, our fields only
    await ctx.kube.applyObjects(objects, { ...ctx.hooks, argv, refs });
    if (!drift?.length) return "applied";
    return {
      action: "corrected",
      fields: [...new Set(drift.flatMap((d) => d.fields))].sort(),
      objects: drift.map((d) => d.object),
    };
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
    const m = applyContent(step, ctx.prepared);
    const live = await readLive(ctx, step, m.refs);
    if (live !== undefined && live.length === 0) return unchanged("nothing to delete");
    // kubectl waits (a watch) until every object is gone, finalisers included
    // (an operator's custom resource), within the step's deadline
    try {
      await ctx.kube.exec(
        kubectlDeleteArgv(await manifestFile(ctx, step, m, "-down"), {
          target: ctx.kube.target,
          namespace: step.defaultNamespace,
          timeoutSeconds: timeoutSeconds(ctx),
        }),
        ctx.hooks,
      );
    } catch (e) {
      throw await withFinalizers(ctx, m.refs, e as Error);
    }
    return { action: "deleted" };
  },

  async explain(ctx, step, observed) {
    // in place by fingerprint: the early read's dry-run already found any drift
    if (observed.drift) {
      return observed.drift.map((d) => ({ kind: "drift", object: d.object, fields: d.fields }));
    }
    return await explainApply(ctx, step, observed);
  },
};
