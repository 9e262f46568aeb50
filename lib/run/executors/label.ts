/**
 * `label`: labels on one object (`null` removes one), e.g. the ambient
 * enrolment of a namespace. `down` removes the labels it set.
 */
import { kubectlLabelArgv, resourceArg } from "../../kube/argv.ts";
import type { Json } from "../../kube/kube.ts";
import type { LabelStep } from "../../plan/plan.ts";
import { objectName } from "../../output/diff_view.ts";
import type { Decision, Executor, StepResult } from "../executor.ts";
import { actResult, unchanged } from "../executor.ts";

interface Observed {
  obj?: Json;
  /** absent when the run started, created by an earlier step since */
  createdSince: boolean;
}

function adding(step: LabelStep): boolean {
  return Object.values(step.labels).every((v) => v !== null);
}

export const labelExecutor: Executor<LabelStep, Observed, true> = {
  prefetch(ctx, step) {
    return ctx.kube.getObject(step.target, ctx.hooks);
  },

  async observe(ctx, step) {
    const prefetched = ctx.prefetched() as Promise<Json | undefined> | undefined;
    // read when the run started: the object may have been created since, so
    // only a read that shows it is trusted; else read again
    const early = prefetched ? await prefetched : undefined;
    if (prefetched && !early && adding(step)) return { createdSince: true };
    return { obj: early ?? await ctx.kube.getObject(step.target, ctx.hooks), createdSince: false };
  },

  decide(step, { obj, createdSince }, settings): Decision<true> {
    if (createdSince) return { act: true };
    if (!obj) {
      if (Object.values(step.labels).every((v) => v === null)) {
        return unchanged(`${step.target.kind} ${step.target.name} does not exist`);
      }
      throw new Error(`Cannot label ${resourceArg(step.target)}: not found`);
    }
    const live = ((obj.metadata as Json)?.labels ?? {}) as Record<string, string>;
    const needed = Object.entries(step.labels).filter(([k, v]) =>
      v === null ? k in live : live[k] !== v
    );
    if (needed.length === 0 && !settings.force) return unchanged("labels already as wanted");
    return { act: true };
  },

  async act(ctx, step) {
    await ctx.kube.label(step.target, step.labels, {
      ...ctx.hooks,
      argv: kubectlLabelArgv(step.target, step.labels, { target: ctx.kube.target }),
    });
    return "labelled";
  },

  async down(ctx, step): Promise<StepResult> {
    const removal: LabelStep = {
      ...step,
      labels: Object.fromEntries(Object.keys(step.labels).map((k) => [k, null])),
    };
    const observed = await this.observe(ctx, removal);
    const d = this.decide(removal, observed, ctx.settings);
    if ("skip" in d) return d;
    return actResult(await this.act(ctx, removal, d.act));
  },

  explain(_ctx, step, { obj }, decision) {
    if ("skip" in decision) return Promise.resolve([]);
    const live = ((obj?.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
    const fields = Object.entries(step.labels)
      .filter(([k, v]) => !obj || (v === null ? k in live : live[k] !== v))
      .map(([k]) => `metadata.labels.${k}`).sort();
    return Promise.resolve([{ kind: "update", object: objectName(step.target), fields }]);
  },
};
