/**
 * `diff` of an `apply` step, object by object: absent, `install`; present,
 * a server-side dry-run of meshup's apply (conflicts forced, as `up` does
 * it) against the live object, compared field by field (`driftedFields`).
 * Fields differ and the live fingerprint is another: `update`; the same
 * fingerprint: someone changed what meshup set, `drift`.
 */
import type { Json } from "../kube/kube.ts";
import { type Change, objectName } from "../output/diff_view.ts";
import { FIELD_MANAGER, FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import type { ApplyStep, ObjectRef } from "../plan/plan.ts";
import { driftedFields } from "./drift.ts";
import type { StepContext } from "./executor.ts";
import { annotationsOf, type ApplyContent } from "./manifest.ts";

/** What applying the step's objects would change; `live` is what observe read, if it did. */
export async function explainApply(
  ctx: StepContext,
  step: ApplyStep,
  m: ApplyContent & { live?: Json[] },
): Promise<Change[]> {
  const live = await Promise.all(
    m.refs.map((ref) => m.live ? Promise.resolve(findLive(m.live, ref)) : readOne(ctx, ref)),
  );
  const present = m.objects.map((o, i) => ({ o, ref: m.refs[i], live: live[i] }))
    .filter((x): x is { o: Json; ref: ObjectRef; live: Json } => x.live !== undefined);
  const wouldBe = present.length === 0 ? [] : await ctx.kube.dryRunApply(
    present.map((p) => p.o),
    {
      ...ctx.hooks,
      fieldManager: FIELD_MANAGER,
      refs: present.map((p) => p.ref),
      namespace: step.defaultNamespace,
      file: () =>
        ctx.writeRunFile(
          `${ctx.task.id}-${step.id}-diff.yaml`,
          present.map((p) => JSON.stringify(p.o)).join("\n---\n"),
        ),
    },
  );
  const changes: Change[] = [];
  for (const [i, ref] of m.refs.entries()) {
    const object = objectName(ref);
    const current = live[i];
    if (!current) {
      changes.push({ kind: "install", object, fields: [] });
      continue;
    }
    const after = findLive(wouldBe, ref);
    const fields = after
      ? driftedFields(current, after).filter((f) => f !== FINGERPRINT_FIELD)
      : [];
    const sameFp = annotationsOf(current)[FINGERPRINT_KEY] === m.fp;
    if (sameFp && fields.length === 0) continue;
    changes.push(
      sameFp ? { kind: "drift", object, fields } : {
        kind: "update",
        object,
        fields,
        ...(fields.length ? {} : { note: "only meshup's fingerprint annotation" }),
      },
    );
  }
  return changes;
}

/** The fingerprint annotation as `driftedFields` names it: the kind of change says it. */
const FINGERPRINT_FIELD = `metadata.annotations.${FINGERPRINT_KEY}`;

/** The live object a ref names, among objects read together. */
function findLive(objects: readonly Json[], ref: ObjectRef): Json | undefined {
  return objects.find((o) => {
    const meta = (o.metadata ?? {}) as Json;
    return o.kind === ref.kind && meta.name === ref.name &&
      (!meta.namespace || meta.namespace === ref.namespace);
  });
}

/** One object, absent when it or its kind is not there (a CRD an earlier step installs). */
async function readOne(ctx: StepContext, ref: ObjectRef): Promise<Json | undefined> {
  try {
    return await ctx.kube.getObject(ref, ctx.hooks);
  } catch (e) {
    // kubectl (without the in-process client) fails on a kind it does not know
    if (UNKNOWN_KIND.test(String((e as { stderr?: string }).stderr ?? e))) return undefined;
    throw e;
  }
}

const UNKNOWN_KIND = /doesn't have a resource type|no matches for kind|resource mapping not found/;
