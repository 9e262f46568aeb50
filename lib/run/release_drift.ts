/**
 * Drift of a Helm release: its live objects against its manifest (read in
 * process from the release Secret), through a server-side dry-run apply of
 * each manifest object as helm's field manager: the fields where applying
 * the manifest would change the live object. In process only (no process
 * on a no-op run): without the API client, releases are not checked.
 * CRDs are left out (helm does not upgrade a chart's `crds/`, and the API
 * server fills in much of a CRD); `DRIFT_IGNORE` applies as everywhere.
 */
import type { Json, ReleaseState } from "../kube/kube.ts";
import { objectName } from "../output/diff_view.ts";
import type { HelmReleaseStep, ObjectRef } from "../plan/plan.ts";
import { type Drift, driftOf } from "./drift_objects.ts";
import type { StepContext } from "./executor.ts";
import { decodeRelease, releaseContent } from "./release_manifest.ts";

/** The drift found in one revision of a release. */
export interface ReleaseDrift {
  revision: number;
  drift: Drift[];
}

/** helm's field manager (helm 4 applies server-side under it). */
const HELM_MANAGER = "helm";

/**
 * Reads the release's latest revision (one list of its Secrets, so that it
 * can run before the run has read every release) and its drift; undefined
 * without the API client, or when the release or its manifest is not there.
 */
export async function readReleaseDrift(
  ctx: StepContext,
  step: HelmReleaseStep,
): Promise<ReleaseDrift | undefined> {
  if (!ctx.kube.api) return undefined;
  const secrets = await ctx.kube.list({
    apiVersion: "v1",
    kind: "Secret",
    namespace: step.namespace,
    labelSelector: `owner=helm,name=${step.release}`,
  }, ctx.hooks);
  const latest = secrets.map((s) => ({ s, labels: labelsOf(s) }))
    .sort((a, b) => Number(b.labels.version) - Number(a.labels.version))[0];
  const encoded = ((latest?.s.data ?? {}) as Record<string, string>).release;
  if (!latest || latest.labels.status !== "deployed" || !encoded) return undefined;
  const objects = releaseContent(await decodeRelease(encoded)).objects
    .filter((o) => o.kind !== "CustomResourceDefinition");
  return {
    revision: Number(latest.labels.version),
    drift: await manifestDrift(ctx, step, objects),
  };
}

/** Whether an early read is of the revision the run knows. */
export function sameRevision(read: ReleaseDrift | undefined, rel: ReleaseState): boolean {
  return read !== undefined && read.revision === rel.revision;
}

async function manifestDrift(
  ctx: StepContext,
  step: HelmReleaseStep,
  objects: Json[],
): Promise<Drift[]> {
  const refs = objects.map((o): ObjectRef => {
    const meta = (o.metadata ?? {}) as Json;
    return {
      apiVersion: String(o.apiVersion),
      kind: String(o.kind),
      name: String(meta.name),
      namespace: typeof meta.namespace === "string" ? meta.namespace : step.namespace,
    };
  });
  const live = await Promise.all(refs.map((ref) => ctx.kube.getObject(ref, ctx.hooks)));
  // an object of the manifest that is gone is drift too: helm's upgrade makes it again
  const gone: Drift[] = refs.filter((_, i) => !live[i]).map((ref) => ({
    object: objectName(ref),
    fields: ["(deleted)"],
  }));
  const present = objects.filter((_, i) => live[i]).map((o) => withHelmOwnership(o, step));
  const wouldBe = await ctx.kube.dryRunApply(present, {
    ...ctx.hooks,
    fieldManager: HELM_MANAGER,
    refs: refs.filter((_, i) => live[i]),
    file: () => Promise.reject(new Error("a release's drift is read in process only")),
  });
  return [...gone, ...driftOf(live.filter((o): o is Json => !!o), wouldBe)];
}

/** What helm adds to every object it applies: its managed-by label and release annotations. */
function withHelmOwnership(o: Json, step: HelmReleaseStep): Json {
  const meta = (o.metadata ?? {}) as Json;
  return {
    ...o,
    metadata: {
      ...meta,
      labels: { ...(meta.labels as Json ?? {}), "app.kubernetes.io/managed-by": "Helm" },
      annotations: {
        ...(meta.annotations as Json ?? {}),
        "meta.helm.sh/release-name": step.release,
        "meta.helm.sh/release-namespace": step.namespace,
      },
    },
  };
}

function labelsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
}
