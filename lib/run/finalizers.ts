/**
 * Why a deletion did not finish: the objects still there and the
 * finalisers that hold them (an operator that is gone or failing).
 */
import { resourceArg } from "../kube/argv.ts";
import type { Json } from "../kube/kube.ts";
import type { ObjectRef } from "../plan/plan.ts";
import type { StepContext } from "./executor.ts";

/** `error` with the objects still present and their finalisers named, and a hint. */
export async function withFinalizers(
  ctx: StepContext,
  refs: readonly ObjectRef[],
  error: Error,
): Promise<Error> {
  if (ctx.signal?.aborted) return error;
  const found = await Promise.all(
    refs.map((ref) => ctx.kube.getObject(ref, ctx.hooks).catch(() => undefined)),
  );
  const held = refs.flatMap((ref, i) => {
    const meta = (found[i]?.metadata ?? {}) as Json;
    const finalizers = (meta.finalizers ?? []) as string[];
    return found[i] && finalizers.length ? [{ ref, finalizers }] : [];
  });
  if (held.length === 0) return error;
  const first = held[0].ref;
  return Object.assign(
    new Error(
      `${error.message}\nstill there: ${
        held.map(({ ref, finalizers }) =>
          `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name} (finalizers ${
            finalizers.join(", ")
          })`
        ).join("; ")
      }`,
    ),
    {
      hint:
        `the operator that removes the finalizer may be gone or failing; check it, then re-run, or look: kubectl get ${
          resourceArg(first)
        }${first.namespace ? ` -n ${first.namespace}` : ""} -o yaml`,
    },
  );
}
