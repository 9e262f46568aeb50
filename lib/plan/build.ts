/**
 * Compiles a target into a Plan: selects the tasks, lets each plan its
 * steps, and validates the whole before anything runs.
 */
import type { Config } from "../config/config.ts";
import { selectTasks, validateGraph } from "./dag.ts";
import { InputError } from "../errors.ts";
import type { Plan, PlannedTask } from "./plan.ts";
import { PlanContext, type Task } from "./task.ts";
import { templateVars } from "../config/vars.ts";

export interface BuildOptions {
  config: Config;
  /** project root, where values/ and manifests/ live */
  root: string;
  /** directory relative chart and manifest paths are resolved against */
  cwd: string;
  only?: boolean;
  /** `--context`, else the config's pinned context */
  context?: string;
}

export function buildPlan(tasks: readonly Task[], target: string, options: BuildOptions): Plan {
  validateGraph(tasks);
  const selected = selectTasks(tasks, target, { only: options.only });
  const ctx = new PlanContext(options.config, {
    vars: templateVars(options.config),
    root: options.root,
    cwd: options.cwd,
  });
  const planned: PlannedTask[] = selected.map((task) => {
    const steps = task.plan(ctx);
    const ids = new Set<string>();
    for (const step of steps) {
      if (ids.has(step.id)) {
        throw new InputError(`Invalid plan: task "${task.id}" has two steps named "${step.id}"`);
      }
      ids.add(step.id);
    }
    return {
      id: task.id,
      description: task.description,
      deps: options.only ? [] : [...task.deps],
      steps,
      ...(task.aggregate ? { aggregate: true } : {}),
    };
  });
  const releases = new Map<string, string>();
  for (const t of planned) {
    for (const s of t.steps) {
      if (s.kind !== "helm-release") continue;
      const key = `${s.namespace}/${s.release}`;
      const other = releases.get(key);
      if (other) {
        throw new InputError(
          `Invalid config: tasks "${other}" and "${t.id}" both install Helm release "${key}"`,
          "give the gateway release another name (gateway.release)",
        );
      }
      releases.set(key, t.id);
    }
  }
  const context = options.context ?? options.config.cluster.context;
  return { target, ...(context ? { context } : {}), tasks: planned };
}
