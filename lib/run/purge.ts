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

/**
 * On the CRDs of a chart's `crds/` folder that a `down` leaves, which carry
 * no helm ownership: the release they came from (`NAMESPACE.RELEASE`), so
 * that a later `--purge-crds` can still prove them ours.
 */
export const KEPT_FROM_LABEL = "meshup.dev/kept-from-release";

/**
 * Reads, before the uninstall, the CRDs that helm would leave behind; a
 * plain `down` labels those of the `crds/` folder with their release.
 */
export async function crdsLeftByUninstall(
  ctx: StepContext,
  step: HelmReleaseStep,
): Promise<ReleaseCrd[]> {
  const rel = ctx.releases.get(`${step.namespace}/${step.release}`);
  if (!rel) return [];
  const content = await readRelease(ctx.kube, rel, ctx.hooks);
  const kept = (content?.crds ?? []).filter((c) => c.keep || c.crdsFolder);
  if (ctx.settings.purgeCrds) return kept;
  const from = `${step.namespace}.${step.release}`;
  if (from.length > 63) return [];
  for (const crd of kept.filter((c) => c.crdsFolder)) {
    await ctx.kube.label(
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: crd.name },
      { [KEPT_FROM_LABEL]: from },
      {
        ...ctx.hooks,
        argv: ctx.kube.kubectlArgv(
          "label",
          "customresourcedefinition",
          crd.name,
          `${KEPT_FROM_LABEL}=${from}`,
          "--overwrite",
        ),
      },
    ).catch(() => undefined); // a CRD gone already needs no marker
  }
  return [];
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
 * ownership annotations still name the release, and a `crds/` folder's
 * CRDs (which carry none) the label that `down` gave them.
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
    const meta = (crd.metadata ?? {}) as {
      annotations?: Record<string, string>;
      labels?: Record<string, string>;
    };
    const a = meta.annotations ?? {};
    return (a["meta.helm.sh/release-name"] === release.name &&
      a["meta.helm.sh/release-namespace"] === release.namespace) ||
      meta.labels?.[KEPT_FROM_LABEL] === `${release.namespace}.${release.name}`;
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
