/**
 * The registry of step executors: one line per step kind. A new kind is a
 * new file in this folder and one line here (and its type in plan.ts).
 */
import type { Step, StepKind } from "../../plan/plan.ts";
import type { Executor } from "../executor.ts";
import { applyExecutor } from "./apply.ts";
import { checkExecutor } from "./check.ts";
import { deleteExecutor } from "./delete.ts";
import { helmReleaseExecutor } from "./helm_release.ts";
import { labelExecutor } from "./label.ts";
import { secretExecutor } from "./secret.ts";
import { waitExecutor } from "./wait.ts";

type Registry = { [K in StepKind]: Executor<Extract<Step, { kind: K }>, unknown, unknown> };

const EXECUTORS: Registry = {
  "helm-release": helmReleaseExecutor,
  apply: applyExecutor,
  label: labelExecutor,
  secret: secretExecutor,
  wait: waitExecutor,
  check: checkExecutor,
  delete: deleteExecutor,
};

/** The executor of a step's kind. */
export function executorFor(step: Step): Executor<Step, unknown, unknown> {
  return EXECUTORS[step.kind] as unknown as Executor<Step, unknown, unknown>;
}
