/**
 * `down --purge-crds`, per release: the CRDs helm leaves on uninstall (those
 * marked `helm.sh/resource-policy: keep` and those of the chart's `crds/`
 * folder) are deleted after it, and the namespace the release created once
 * no release is left in it. Waits are kubectl's (watches) with the step's
 * deadline.
 */
import type { HelmReleaseStep } from "../plan/plan.ts";
import { type StepContext, timeoutSeconds } from "./executor.ts";
import { readRelease, type ReleaseCrd } from "./release_manifest.ts";
import { SYSTEM } from "./release_guard.ts";

/** Reads, before the uninstall, the CRDs that helm would leave behind. */
export async function crdsLeftByUninstall(
  ctx: StepContext,
  step: HelmReleaseStep,
): Promise<ReleaseCrd[]> {
  const rel = ctx.releases.get(`${step.namespace}/${step.release}`);
  if (!rel || !ctx.settings.purgeCrds) return [];
  const content = await readRelease(ctx.kube, rel, ctx.hooks);
  return (content?.crds ?? []).filter((c) => c.keep || c.crdsFolder);
}

/** After the uninstall: deletes those CRDs, then the namespace if the stack created it and it is empty of releases. */
export async function purgeAfterUninstall(
  ctx: StepContext,
  step: HelmReleaseStep,
  crds: readonly ReleaseCrd[],
): Promise<void> {
  if (!ctx.settings.purgeCrds) return;
  const wait = ["--ignore-not-found", "--wait=true", `--timeout=${timeoutSeconds(ctx)}s`];
  if (crds.length > 0) {
    await ctx.kube.exec(
      ctx.kube.kubectlArgv(
        "delete",
        "customresourcedefinition",
        ...crds.map((c) => c.name),
        ...wait,
      ),
      ctx.hooks,
    );
  }
  const ns = step.namespace;
  if (!step.createNamespace || SYSTEM.has(ns)) return;
  if ([...ctx.releases.values()].some((r) => r.namespace === ns)) return;
  await ctx.kube.exec(ctx.kube.kubectlArgv("delete", "namespace", ns, ...wait), ctx.hooks);
}
