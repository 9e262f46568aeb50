/**
 * `down --purge-crds`, per release: the CRDs helm leaves on uninstall (those
 * marked `helm.sh/resource-policy: keep` and those of the chart's `crds/`
 * folder) are deleted after it, and the namespace the release created once
 * no release is left in it. Waits are kubectl's (watches) with the step's
 * deadline.
 */
import type { HelmReleaseStep } from "../plan/plan.ts";
import { type StepContext, timeoutSeconds } from "./executor.ts";
import type { Json } from "../kube/kube.ts";
import { crdsOf, readRelease, type ReleaseCrd } from "./release_manifest.ts";

/** Namespaces never deleted, whatever created them. */
export const SYSTEM = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

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

/**
 * CRDs a release left behind when an earlier `down` kept them: helm's
 * ownership annotations still name the release (a `crds/` folder's CRDs
 * carry none and are only known while the release exists).
 */
export async function crdsOfGoneRelease(
  kube: StepContext["kube"],
  release: { name: string; namespace: string },
  hooks: StepContext["hooks"] = {},
): Promise<Json[]> {
  const crds = await kube.list(
    { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" },
    hooks,
  );
  return crds.filter((crd) => {
    const a = ((crd.metadata ?? {}) as { annotations?: Record<string, string> }).annotations ?? {};
    return a["meta.helm.sh/release-name"] === release.name &&
      a["meta.helm.sh/release-namespace"] === release.namespace;
  });
}

/** `--purge-crds` of a release already gone: its kept CRDs and its namespace. */
export async function purgeGoneRelease(
  ctx: StepContext,
  step: HelmReleaseStep,
): Promise<boolean> {
  if (!ctx.settings.purgeCrds) return false;
  const crds = await crdsOfGoneRelease(ctx.kube, {
    name: step.release,
    namespace: step.namespace,
  }, ctx.hooks);
  const ns = step.createNamespace && !SYSTEM.has(step.namespace) &&
    ![...ctx.releases.values()].some((r) => r.namespace === step.namespace) &&
    await ctx.kube.getObject(
      { apiVersion: "v1", kind: "Namespace", name: step.namespace },
      ctx.hooks,
    );
  if (crds.length === 0 && !ns) return false;
  await purgeAfterUninstall(ctx, step, crdsOf(crds));
  return true;
}
