/** `wait`: objects ready by kstatus rules, watched, within the step's deadline. */
import type { WaitStep } from "../../plan/plan.ts";
import type { Executor } from "../executor.ts";
import { unchanged } from "../executor.ts";
import { waitReady } from "../wait.ts";

export const waitExecutor: Executor<WaitStep, undefined, true> = {
  observe() {
    return Promise.resolve(undefined);
  },
  decide() {
    return { act: true };
  },
  changes() {
    return false;
  },
  async act(ctx, step) {
    await waitReady(ctx.kube, step.objects, ctx.waitOptions());
    return "waited";
  },
  down() {
    return Promise.resolve(unchanged("nothing to undo"));
  },
};
