/**
 * The objects of an apply step as they go to the cluster: its rendered and
 * remote manifests parsed, annotated with the step's fingerprint.
 */
import { parseAllDocuments, stringify } from "yaml";
import type { Json } from "../kube/kube.ts";
import { InputError } from "../errors.ts";
import { fingerprint, FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import type { ApplyStep, ObjectRef } from "../plan/plan.ts";
import { checkObject, refOf } from "../plan/task.ts";
import type { Prepared } from "./executor.ts";

/** Parses a multi-document manifest into objects; `InputError` names the document. */
export function parseObjects(text: string, source: string): Json[] {
  const docs = parseAllDocuments(text);
  const out: Json[] = [];
  for (const [i, d] of docs.entries()) {
    if (d.errors.length) {
      throw new InputError(
        `Cannot parse manifest "${source}" (document ${i + 1}): ${
          d.errors[0].message.split("\n")[0]
        }`,
      );
    }
    const v = d.toJS();
    if (v === null || v === undefined) continue;
    out.push(checkObject(v, `${source} (document ${i + 1})`) as unknown as Json);
  }
  return out;
}

export interface ApplyContent {
  /** the whole manifest, every object annotated with `fp` */
  content: string;
  fp: string;
  /** the objects of `content` */
  objects: Json[];
  /** the objects' references, namespaced with the step's default namespace */
  refs: ObjectRef[];
}

/** The step's objects with fingerprint annotations, as one manifest. */
export function applyContent(step: ApplyStep, prepared: Prepared): ApplyContent {
  const remote = step.remote.map((r) => prepared.remote.get(r.url) ?? "");
  const fp = fingerprint(step, remote);
  const parts = [...step.manifests.map((m) => m.content), ...remote];
  const objects = parts.flatMap((p, i) => parseObjects(p, `manifest ${i + 1}`)).map((o): Json => {
    const meta = (o.metadata ?? {}) as Json;
    return {
      ...o,
      metadata: { ...meta, annotations: { ...annotationsOf(o), [FINGERPRINT_KEY]: fp } },
    };
  });
  const content = objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
  const refs = objects.map((o) => {
    const ref = refOf(o as never);
    if (
      !ref.namespace && step.defaultNamespace && o.kind !== "Namespace" &&
      o.kind !== "CustomResourceDefinition"
    ) {
      ref.namespace = step.defaultNamespace;
    }
    return ref;
  });
  return { content, fp, objects, refs };
}

/** An object's annotations (empty when it has none). */
export function annotationsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json)?.annotations ?? {}) as Record<string, string>;
}
