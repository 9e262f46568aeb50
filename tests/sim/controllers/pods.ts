/**
 * Pods: the pods a workload owns (created, kept or deleted to match what it
 * wants, their state and status set), the nodes they land on, and bare pods
 * scheduled and made ready.
 *
 * @module
 */

import type { ObjectFault } from "../faults.ts";
import {
  arr,
  clone,
  deepEqual,
  isRec,
  type KubeObject,
  randomSuffix,
  type Rec,
  rec,
  str,
} from "../object.ts";
import { type PodState, podStatus } from "../pod_status.ts";
import type { ControllerContext } from "./_context.ts";
import { KIND_BY_OWNER, ownedBy, ownerRef, stripUndefined } from "./_objects.ts";

/** The pod controller, and the pods of every workload controller. */
export class PodController {
  #ctx: ControllerContext;
  #podIp = 10;
  #nextNode = 0;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** The schedulable nodes. */
  nodes(): KubeObject[] {
    return this.#ctx.api.store.peekList("/nodes").filter((n) => !rec(n.spec).unschedulable);
  }

  #nodeAddress(nodeName: string): string {
    const node = this.#ctx.api.store.peek("/nodes", undefined, nodeName);
    const address = arr(rec(node?.status).addresses).filter(isRec).find((a) =>
      a.type === "InternalIP"
    );
    return str(address?.address, "127.0.0.1");
  }

  #createPod(
    owner: KubeObject,
    name: string,
    template: Rec,
    extraLabels: Record<string, string>,
    nodeName: string | undefined,
    state: PodState,
    fault: ObjectFault | undefined,
  ): KubeObject | undefined {
    const podType = this.#ctx.type("", "pods");
    const meta = rec(template.metadata);
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: { ...(meta.labels as Record<string, string> ?? {}), ...extraLabels },
        annotations: { ...(meta.annotations as Record<string, string> ?? {}) },
        ownerReferences: [ownerRef(owner)],
      },
      spec: { ...clone(rec(template.spec)) },
    };
    if (Object.keys(pod.metadata.annotations ?? {}).length === 0) delete pod.metadata.annotations;
    const spec = rec(pod.spec);
    const nodes = this.nodes();
    const node = nodeName ?? nodes[this.#nextNode++ % Math.max(1, nodes.length)]?.metadata.name;
    if (state !== "unschedulable" && node) spec.nodeName = node;
    pod.status = this.#podStatus(pod, state, fault, undefined);
    const created = this.#ctx.api.controllerCreate(podType, pod);
    if (created) {
      if (state !== "unschedulable" && node) {
        this.#ctx.events.record(
          created,
          "Normal",
          "Scheduled",
          `Successfully assigned ${owner.metadata.namespace}/${name} to ${node}`,
          "default-scheduler",
        );
      }
      this.#ctx.events.podEvents(created, state, fault);
    }
    return created;
  }

  #podStatus(
    pod: KubeObject,
    state: PodState,
    fault: ObjectFault | undefined,
    previous: Rec | undefined,
  ): Rec {
    return podStatus(pod, state, {
      fault,
      previous,
      hostIP: this.#nodeAddress(str(rec(pod.spec).nodeName)),
      podIP: () => `10.244.${Math.floor(this.#podIp / 250) % 250}.${(this.#podIp++ % 250) + 1}`,
      nodeCount: this.nodes().length,
    });
  }

  #setPodState(pod: KubeObject, state: PodState, fault: ObjectFault | undefined): void {
    const podType = this.#ctx.type("", "pods");
    const status = this.#podStatus(pod, state, fault, rec(pod.status));
    const before = clone(rec(pod.status));
    const written = this.#ctx.api.writeStatus(podType, pod, stripUndefined(status));
    if (written && !deepEqual(before, written.status)) {
      this.#ctx.events.podEvents(written, state, fault);
    }
  }

  /** Ensures the pods of `owner` match `want` (by name), deleting the rest; sets their state. */
  syncPods(
    owner: KubeObject,
    want: { name: string; labels: Record<string, string>; nodeName?: string }[],
    template: Rec,
    state: PodState,
    fault: ObjectFault | undefined,
    matches: (pod: KubeObject, want: { name: string; labels: Record<string, string> }) => boolean,
  ): KubeObject[] {
    const podType = this.#ctx.type("", "pods");
    const existing = this.#ctx.api.store.peekList("/pods", owner.metadata.namespace)
      .filter((p) => ownedBy(p, owner));
    const kept: KubeObject[] = [];
    const used = new Set<KubeObject>();
    for (const w of want) {
      const found = existing.find((p) =>
        !used.has(p) && matches(p, w) && !p.metadata.deletionTimestamp
      );
      if (found) {
        used.add(found);
        this.#setPodState(found, state, fault);
        const now = this.#ctx.api.store.peek(
          "/pods",
          found.metadata.namespace,
          found.metadata.name ?? "",
        );
        if (now) kept.push(now);
      }
    }
    for (const p of existing) {
      if (!used.has(p)) {
        this.#ctx.api.controllerDelete(podType, p.metadata.namespace, p.metadata.name ?? "");
      }
    }
    for (const w of want) {
      if (kept.some((p) => matches(p, w))) continue;
      const created = this.#createPod(owner, w.name, template, w.labels, w.nodeName, state, fault);
      if (created) kept.push(created);
    }
    return kept;
  }

  /** Names for `count` pods of `owner`: those it has, then new ones from `prefix`. */
  namedPods(
    prefix: string,
    count: number,
    owner: KubeObject,
    labels: Record<string, string>,
  ): { name: string; labels: Record<string, string> }[] {
    const existing = this.#ctx.api.store.peekList("/pods", owner.metadata.namespace).filter((p) =>
      ownedBy(p, owner)
    );
    const out: { name: string; labels: Record<string, string> }[] = [];
    for (let i = 0; i < count; i++) {
      const name = existing[i]?.metadata.name ?? `${prefix}-${randomSuffix(this.#ctx.random)}`;
      out.push({ name, labels });
    }
    return out;
  }

  /** Schedules a bare pod (one no workload owns) and sets its state. */
  pod(namespace: string, name: string): void {
    const type = this.#ctx.type("", "pods");
    const pod = this.#ctx.api.peek(type, namespace, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    if ((pod.metadata.ownerReferences ?? []).some((r) => KIND_BY_OWNER[r.kind])) return;
    const phase = str(rec(pod.status).phase);
    if (phase === "Succeeded" || phase === "Failed") return;
    const fault = this.#ctx.api.faults.forObject(pod);
    if (!rec(pod.spec).nodeName && fault?.fault !== "unschedulable") {
      const node = this.nodes()[0]?.metadata.name;
      if (node) {
        const next = clone(pod);
        (next.spec as Rec).nodeName = node;
        this.#ctx.api.writeObject(type, next);
        this.#ctx.events.record(
          pod,
          "Normal",
          "Scheduled",
          `Successfully assigned ${namespace}/${name} to ${node}`,
          "default-scheduler",
        );
      }
    }
    const rollout = this.#ctx.ready("pod", pod, "run");
    const current = this.#ctx.api.peek(type, namespace, name);
    if (current) this.#setPodState(current, this.#ctx.podState(rollout.ready, fault), fault);
  }
}
