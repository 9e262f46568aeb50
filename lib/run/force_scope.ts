/**
 * What `--force` re-applies: the named target's own steps, never its
 * dependencies'. An aggregate (`up`, `istio:install`) stands for its
 * members, so `up --force` re-applies everything and `istio:install
 * --force` the four Istio charts, while `telemetry --force` re-applies
 * telemetry's steps and leaves istio-base and istiod to their
 * fingerprints. A task that is merely off for this config (`kiali` with
 * Kiali disabled) has no steps either, and forces nothing.
 */
import type { Plan } from "../plan/plan.ts";

/** The ids of the tasks whose steps `--force` re-applies. */
export function forcedTasks(plan: Plan): Set<string> {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const forced = new Set<string>();
  const visit = (id: string): void => {
    const task = byId.get(id);
    if (!task || forced.has(id)) return;
    forced.add(id);
    if (task.aggregate) { for (const dep of task.deps) visit(dep); }
  };
  visit(plan.target);
  return forced;
}
