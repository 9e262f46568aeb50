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

const computed = new WeakMap<ApplyStep, WeakMap<Prepared, ApplyContent>>();

/** The step's objects with fingerprint annotations, as one manifest (computed once per run). */
export function applyContent(step: ApplyStep, prepared: Prepared): ApplyContent {
  let byRun = computed.get(step);
  if (!byRun) computed.set(step, byRun = new WeakMap());
  const known = byRun.get(prepared);
  if (known) return known;
  const content = computeApplyContent(step, prepared);
  byRun.set(prepared, content);
  return content;
}

function computeApplyContent(step: ApplyStep, prepared: Prepared): ApplyContent {
  const remote = step.remote.map((r) => prepared.remote.get(r.url) ?? "");
  const fp = fingerprint(step, remote);
  const parsed = [
    ...step.manifests.map((m, i) => parseObjects(m.content, `manifest ${i + 1}`)),
    ...step.remote.map((r, i) =>
      prepared.remoteObjects?.get(r.url) ??
        parseObjects(remote[i], `manifest ${step.manifests.length + i + 1}`)
    ),
  ].flat();
  const objects = parsed.map((o): Json => {
    const meta = (o.metadata ?? {}) as Json;
    return {
      ...o,
      metadata: { ...meta, annotations: { ...annotationsOf(o), [FINGERPRINT_KEY]: fp } },
    };
  });
  const content = objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
  return { content, fp, objects, refs: objects.map((o) => refIn(step, o)) };
}

/**
 * The refs of a step's objects, cheaply: the rendered ones from the plan,
 * the remote ones as `prepare` parsed them (for early reads).
 */
export function stepRefs(step: ApplyStep, prepared: Prepared): ObjectRef[] | undefined {
  const remote = step.remote.map((r) => prepared.remoteObjects?.get(r.url));
  if (remote.some((objects) => objects === undefined)) return undefined;
  return [
    ...step.objects.map((ref) => withDefaultNamespace(step, ref)),
    ...remote.flatMap((objects) => objects!.map((o) => refIn(step, o))),
  ];
}

function refIn(step: ApplyStep, o: Json): ObjectRef {
  return withDefaultNamespace(step, refOf(o as never));
}

/** Objects without a namespace take the step's default, but for cluster-scoped kinds we know. */
function withDefaultNamespace(step: ApplyStep, ref: ObjectRef): ObjectRef {
  if (
    !ref.namespace && step.defaultNamespace && ref.kind !== "Namespace" &&
    ref.kind !== "CustomResourceDefinition"
  ) {
    return { ...ref, namespace: step.defaultNamespace };
  }
  return ref;
}

/** An object's annotations (empty when it has none). */
export function annotationsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json)?.annotations ?? {}) as Record<string, string>;
}
