/**
 * `diff` of a `helm-release` step: what `helm upgrade --install` would
 * change. Not installed: `install`. Installed at another chart version:
 * `upgrade` from/to. The values `up` would set (its `-f` files merged in
 * order, as helm merges them) against the release's user-supplied values
 * (helm's `config`, read from the release Secret in process): `update`
 * with the value paths that differ, never the values (they may be secret).
 */
import type { ReleaseState } from "../kube/kube.ts";
import { releaseChart, releaseConfig } from "../kube/release_payload.ts";
import { type Change, releaseName } from "../output/diff_view.ts";
import { mergedValues } from "../plan/flux/releases.ts";
import type { HelmReleaseStep } from "../plan/plan.ts";
import type { StepContext } from "./executor.ts";
import { releaseChange } from "./release_change.ts";

/** What the release step would change; `fp` is the step's fingerprint. */
export async function explainRelease(
  ctx: StepContext,
  step: HelmReleaseStep,
  observed: { release: ReleaseState | undefined; fp: string },
): Promise<Change[]> {
  const object = releaseName(step.namespace, step.release);
  const rel = observed.release;
  if (!rel) {
    const { to } = releaseChange(undefined, step);
    return [{ kind: "install", object, fields: [], ...(to ? { to } : {}) }];
  }
  const secret = await ctx.kube.getObject({
    apiVersion: "v1",
    kind: "Secret",
    namespace: step.namespace,
    name: `sh.helm.release.v1.${step.release}.v${rel.revision}`,
  }, ctx.hooks);
  const chart = secret ? await releaseChart(secret) : undefined;
  const config = secret ? await releaseConfig(secret) : undefined;
  const changes: Change[] = [];
  const version = chart ? releaseChange(chart.version, step) : undefined;
  if (version?.kind === "upgrade") {
    changes.push({ kind: "upgrade", object, fields: [], from: version.from, to: version.to });
  }
  if (config) {
    const fields = valuePaths(mergedValues(step, ctx.task.id), config);
    if (fields.length) changes.push({ kind: "update", object, fields });
  }
  if (changes.length === 0 && (rel.status !== "deployed" || rel.fingerprint !== observed.fp)) {
    changes.push({
      kind: "update",
      object,
      fields: [],
      note: rel.status !== "deployed"
        ? `release is ${rel.status} (revision ${rel.revision}): up repairs it`
        : "same chart version and values; the chart's content or meshup's fingerprint differ",
    });
  }
  return changes;
}

/** The dotted paths where two values trees differ (maps key by key, arrays as a whole), sorted. */
export function valuePaths(wanted: unknown, given: unknown, path: string[] = []): string[] {
  if (isMap(wanted) && isMap(given)) {
    return [...new Set([...Object.keys(wanted), ...Object.keys(given)])].sort()
      .flatMap((k) => valuePaths(wanted[k], given[k], [...path, k]));
  }
  return canonical(wanted) === canonical(given) ? [] : [path.join(".") || "(all values)"];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON with map keys sorted: helm stores `config` with Go's sorted keys. */
function canonical(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      isMap(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1)) : x,
  );
}
