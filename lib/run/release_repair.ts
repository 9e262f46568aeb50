/**
 * Releases stuck `pending-*`: whether our own interrupted run left one (and
 * so may repair it), how to drop the stuck revision, and, for one we did not
 * leave, a hint whose command works: roll back to the last deployed
 * revision, or, where there is none, delete the stuck revision's Secret.
 * Never an uninstall: the release may be the cluster's network (Cilium).
 */
import {
  helmTarget,
  kubectlTarget,
  type KubeTarget,
  REVISION_LABEL,
  shellQuote,
} from "../kube/argv.ts";
import type { ReleaseState } from "../kube/kube.ts";
import type { StepContext } from "./executor.ts";
import { releaseSecretName } from "./release_manifest.ts";

/**
 * Set by `--fix` on the Cilium release it upgrades: the revision that upgrade
 * creates. Helm carries labels over to later revisions, so only a pending
 * revision whose own number is here was left by us.
 */
export const FIX_REVISION_LABEL = "meshup.dev/fix-revision";

/** Whether the latest revision is pending and was started by our `--fix`. */
export function pendingFromOurFix(rel: ReleaseState | undefined): boolean {
  return !!rel && rel.status.startsWith("pending-") &&
    rel.labels?.[FIX_REVISION_LABEL] === String(rel.revision);
}

/**
 * Whether the latest revision is pending and our own run started it: it
 * carries our fingerprint and names its own number (another tool's
 * upgrade carries the labels of the revision before it).
 */
export function pendingFromUs(rel: ReleaseState): boolean {
  return rel.status.startsWith("pending-") && !!rel.fingerprint &&
    rel.labels?.[REVISION_LABEL] === String(rel.revision);
}

/** The command that unsticks a release someone else left pending. */
export function unstickCommand(rel: ReleaseState, target: KubeTarget = {}): string {
  if (rel.lastDeployed !== undefined && rel.lastDeployed < rel.revision) {
    return shellQuote([
      "helm",
      "rollback",
      rel.name,
      String(rel.lastDeployed),
      "-n",
      rel.namespace,
      ...helmTarget(target),
    ]);
  }
  return shellQuote([
    "kubectl",
    "delete",
    "secret",
    releaseSecretName(rel.name, rel.revision),
    "-n",
    rel.namespace,
    ...kubectlTarget(target),
  ]);
}

/** The hint for a release stuck `pending-*` that we did not leave. */
export function foreignPendingHint(rel: ReleaseState, target: KubeTarget = {}): string {
  return `another tool may be working on it; if not, ${
    rel.lastDeployed !== undefined && rel.lastDeployed < rel.revision
      ? `roll back to its last deployed revision (${rel.lastDeployed})`
      : "drop the stuck revision (it has no deployed one to roll back to)"
  }, then re-run: ${unstickCommand(rel, target)}`;
}

/** Deletes the Secret of a revision our own interrupted run left pending. */
export async function dropRevision(
  ctx: StepContext,
  rel: Pick<ReleaseState, "name" | "namespace">,
  revision: number,
): Promise<void> {
  await ctx.kube.exec(
    ctx.kube.kubectlArgv(
      "delete",
      "secret",
      releaseSecretName(rel.name, revision),
      `--namespace=${rel.namespace}`,
      "--ignore-not-found",
    ),
    ctx.hooks,
  );
}
