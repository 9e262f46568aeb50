/** `delete`: removes objects that exist (a `down` of something `up` never applied). */
import { resourceArg } from "../../kube/argv.ts";
import type { DeleteStep, ObjectRef } from "../../plan/plan.ts";
import { objectName } from "../../output/diff_view.ts";
import type { Executor, StepContext, StepResult } from "../executor.ts";
import { actResult, unchanged } from "../executor.ts";

async function existing(ctx: StepContext, refs: ObjectRef[]): Promise<ObjectRef[]> {
  const found = await Promise.all(refs.map((ref) => ctx.kube.getObject(ref, ctx.hooks)));
  return refs.filter((_, i) => found[i] !== undefined);
}

export const deleteExecutor: Executor<DeleteStep, ObjectRef[], ObjectRef[]> = {
  async observe(ctx, step) {
    return await existing(ctx, step.objects);
  },

  decide(_step, present) {
    return present.length ? { act: present } : unchanged("nothing to delete");
  },

  async act(ctx, _step, refs) {
    for (const ref of refs) {
      await ctx.kube.exec(
        ctx.kube.kubectlArgv(
          "delete",
          resourceArg(ref),
          ...(ref.namespace ? [`--namespace=${ref.namespace}`] : []),
          "--ignore-not-found",
        ),
        ctx.hooks,
      );
    }
    return "deleted";
  },

  down() {
    return Promise.resolve(unchanged("nothing to undo"));
  },

  explain(_ctx, _step, _present, decision) {
    if ("skip" in decision) return Promise.resolve([]);
    return Promise.resolve(
      decision.act.map((ref) => ({ kind: "remove", object: objectName(ref), fields: [] })),
    );
  },
};

/** Deletes those of `refs` that exist. */
export async function deleteExisting(ctx: StepContext, refs: ObjectRef[]): Promise<StepResult> {
  const step: DeleteStep = { id: ctx.step.id, kind: "delete", description: "", objects: refs };
  const present = await existing(ctx, refs);
  const d = deleteExecutor.decide(step, present, ctx.settings);
  if ("skip" in d) return d;
  return actResult(await deleteExecutor.act(ctx, step, d.act));
}
