/** After a failed helm wait: the state of the release's workloads, their pods and events. */
import type { ObjectState } from "../output/events.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { describeUnready } from "./diagnose.ts";
import type { StepContext } from "./executor.ts";
import { computeStatus } from "./kstatus.ts";

/** A newline and the diagnosis of the unready workloads, or "" (best effort). */
export async function diagnoseWorkloads(ctx: StepContext, refs: ObjectRef[]): Promise<string> {
  if (refs.length === 0) return "";
  try {
    const objects: ObjectState[] = [];
    for (const ref of refs) {
      const obj = await ctx.kube.getObject(ref, ctx.hooks);
      objects.push(
        obj
          ? {
            ref,
            uid: String((obj.metadata as { uid?: string } | undefined)?.uid ?? ""),
            ...computeStatus(obj),
          }
          : { ref, status: "NotFound", message: "not found" },
      );
    }
    const unready = objects.filter((o) => o.status !== "Current");
    if (unready.length === 0) return "";
    const namespaces = [
      ...new Set(unready.map((o) => o.ref.namespace).filter((n): n is string => !!n)),
    ];
    const { pods, events } = await ctx.kube.podsAndEvents(namespaces, ctx.hooks);
    return `\n${describeUnready({ objects: unready, pods, events })}`;
  } catch {
    return "";
  }
}
