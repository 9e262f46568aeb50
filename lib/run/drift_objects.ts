/**
 * Drift of whole steps: each live object paired with what a server-side
 * dry-run apply answered for it, compared by `driftedFields` (which leaves
 * out `DRIFT_IGNORE` and server-written fields).
 */
import type { Json } from "../kube/kube.ts";
import { objectName } from "../output/diff_view.ts";
import { driftedFields } from "./drift.ts";

/** One drifted object: its name (`group/Kind/namespace/name`) and its drifted fields. */
export interface Drift {
  object: string;
  fields: string[];
}

/**
 * The drift of each live object from its dry-run answer, paired by API
 * group, kind, namespace and name; objects without drift are left out.
 */
export function driftOf(live: readonly Json[], wouldBe: readonly Json[]): Drift[] {
  const byName = new Map(live.map((o) => [nameOf(o), o]));
  const out: Drift[] = [];
  for (const answer of wouldBe) {
    const object = nameOf(answer);
    const current = byName.get(object);
    if (!current) continue;
    const fields = driftedFields(current, answer);
    if (fields.length) out.push({ object, fields });
  }
  return out;
}

function nameOf(o: Json): string {
  const meta = (o.metadata ?? {}) as Json;
  return objectName({
    apiVersion: String(o.apiVersion ?? ""),
    kind: String(o.kind ?? ""),
    name: String(meta.name ?? ""),
    ...(typeof meta.namespace === "string" && meta.namespace ? { namespace: meta.namespace } : {}),
  });
}
