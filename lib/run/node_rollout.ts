/**
 * A DaemonSet's rollout node by node, while helm's `--wait` upgrades it:
 * for each node, whether its pod is at the DaemonSet's generation and ready
 * (the `pod-template-generation` label the DaemonSet controller sets), an
 * old pod still runs, or a new one is starting. Shown as `wait` events that
 * name the nodes (beside the workloads' own pending states) and a `log`
 * line as each node is done. Watches, no polling.
 */
import type { Json } from "../kube/kube.ts";
import type { ObjectState } from "../output/events.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { relatedPods } from "./diagnose.ts";
import type { StepContext } from "./executor.ts";

export interface NodeRollout {
  node: string;
  /** the node runs one pod, at the DaemonSet's generation, ready */
  updated: boolean;
  detail: string;
}

function meta(obj: Json): Record<string, unknown> {
  return (obj.metadata ?? {}) as Record<string, unknown>;
}

function ready(pod: Json): boolean {
  const conditions = ((pod.status ?? {}) as { conditions?: { type?: string; status?: string }[] })
    .conditions ?? [];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** Each node's state in the rollout of `ds` to its current generation, by node name. */
export function nodeRollout(ds: Json, pods: readonly Json[]): NodeRollout[] {
  const generation = String(meta(ds).generation ?? "");
  const byNode = new Map<string, Json[]>();
  for (const pod of pods) {
    const node = String(((pod.spec ?? {}) as Record<string, unknown>).nodeName ?? "");
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return [...byNode.keys()].sort().map((node) => {
    const here = byNode.get(node)!;
    const name = (p: Json): string => String(meta(p).name ?? "");
    const isNew = (p: Json): boolean =>
      ((meta(p).labels ?? {}) as Record<string, string>)["pod-template-generation"] ===
        generation && !meta(p).deletionTimestamp;
    const fresh = here.filter(isNew);
    const old = here.filter((p) => !isNew(p));
    if (old.length > 0) {
      const gone = old.every((p) => meta(p).deletionTimestamp);
      return {
        node,
        updated: false,
        detail: `old pod ${old.map(name).join(", ")} ${gone ? "terminating" : "still running"}`,
      };
    }
    const up = fresh.find(ready);
    if (up) return { node, updated: true, detail: `pod ${name(up)} updated and ready` };
    return { node, updated: false, detail: `new pod ${fresh.map(name).join(", ")} starting` };
  });
}

/**
 * Follows DaemonSets node by node until `signal` aborts, and merges their
 * nodes into the step's `wait` events: `workloads()` takes the workloads'
 * own pending states (`watchWorkloads`' progress).
 */
export class NodeRolloutView {
  readonly done: Promise<unknown>;
  readonly #ctx: StepContext;
  #workloads: ObjectState[] = [];
  readonly #nodes = new Map<string, NodeRollout[]>();
  readonly #announced = new Set<string>();
  #last = "[]";

  constructor(ctx: StepContext, daemonSets: readonly ObjectRef[], signal: AbortSignal) {
    this.#ctx = ctx;
    this.done = Promise.allSettled(daemonSets.map((ref) => this.#follow(ref, signal)));
  }

  workloads(pending: ObjectState[]): void {
    this.#workloads = pending;
    this.#report();
  }

  async #follow(ref: ObjectRef, signal: AbortSignal): Promise<void> {
    let ds: Json | undefined;
    const pods = new Map<string, Json>();
    const update = (): void => {
      if (!ds) return;
      const before = this.#nodes.get(ref.name) ?? [];
      const now = nodeRollout(ds, [...pods.values()]);
      this.#nodes.set(ref.name, now);
      for (const n of now) {
        const key = `${ref.name}/${n.node}`;
        const was = before.find((b) => b.node === n.node);
        // a node counts as done once it was seen on its way (an old or a starting pod)
        if (n.updated && was && !was.updated && !this.#announced.has(key)) {
          this.#announced.add(key);
          const done = now.filter((x) => x.updated).length;
          this.#ctx.emit({
            type: "log",
            level: "info",
            task: this.#ctx.task.id,
            message: `${ref.name} updated on node ${n.node} (${done}/${now.length} nodes)`,
          });
        }
      }
      this.#report();
    };
    const hooks = { signal, onCommand: this.#ctx.hooks.onCommand };
    await Promise.all([
      this.#ctx.kube.watch({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        namespace: ref.namespace,
        fieldSelector: `metadata.name=${ref.name}`,
      }, {
        ...hooks,
        onObject: (type, obj) => {
          ds = type === "DELETED" ? undefined : obj;
          update();
        },
      }).catch(() => undefined),
      this.#ctx.kube.watch({ apiVersion: "v1", kind: "Pod", namespace: ref.namespace }, {
        ...hooks,
        onObject: (type, pod) => {
          if (relatedPods(ref, [pod]).length === 0) return;
          const name = String(meta(pod).name ?? "");
          if (type === "DELETED") pods.delete(name);
          else pods.set(name, pod);
          update();
        },
      }).catch(() => undefined),
    ]);
  }

  #report(): void {
    const nodes: ObjectState[] = [...this.#nodes].flatMap(([ds, list]) =>
      list.filter((n) => !n.updated).map((n) => ({
        ref: { apiVersion: "v1", kind: "Node", name: n.node },
        status: "InProgress" as const,
        message: `${ds}: ${n.detail} (${list.filter((x) => x.updated).length}/${list.length} ` +
          "nodes updated)",
      }))
    );
    const pending = [...this.#workloads, ...nodes];
    const sig = JSON.stringify(pending.map((p) => [p.ref.kind, p.ref.name, p.status, p.message]));
    if (sig === this.#last) return;
    this.#last = sig;
    this.#ctx.emit({ type: "wait", task: this.#ctx.task.id, step: this.#ctx.step.id, pending });
  }
}
