/**
 * What a `helm-release` step says and shows when it upgrades its chart to
 * another version: the line `upgrade istiod 1.30.3 → 1.30.4`, for ztunnel a
 * warning that its restarts reset each node's mesh connections, and its
 * DaemonSets followed node by node while helm waits.
 */
import type { HelmReleaseStep } from "../plan/plan.ts";
import type { StepContext } from "./executor.ts";
import { NodeRolloutView } from "./node_rollout.ts";
import { chartOf, releaseChange, releaseChangeText } from "./release_change.ts";

/**
 * Announces the step's chart upgrade, if it is one, and returns the view
 * that follows its DaemonSets until `signal` aborts (undefined otherwise).
 */
export function startUpgrade(
  ctx: StepContext,
  step: HelmReleaseStep,
  signal: AbortSignal,
): NodeRolloutView | undefined {
  const installed = ctx.releases.get(`${step.namespace}/${step.release}`);
  const change = releaseChange(installed?.chartVersion, step);
  if (change.kind !== "upgrade") return undefined;
  ctx.emit({
    type: "log",
    level: "info",
    task: ctx.task.id,
    message: releaseChangeText(change, step.release),
  });
  if (chartOf(step).name === "ztunnel") {
    // istio.io "Upgrade with Helm" (ambient): an in-place ztunnel upgrade briefly
    // disrupts the mesh traffic of each node; cordon/drain where that matters
    ctx.emit({
      type: "log",
      level: "warn",
      task: ctx.task.id,
      message: `${step.release} restarts node by node: each restart resets that node's mesh ` +
        "connections (long-lived TCP connections drop); cordon and drain a node first where " +
        "that matters",
    });
  }
  const daemonSets = step.workloads.filter((w) => w.kind === "DaemonSet");
  return daemonSets.length > 0 ? new NodeRolloutView(ctx, daemonSets, signal) : undefined;
}
