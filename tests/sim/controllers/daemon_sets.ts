/**
 * DaemonSets: one pod per schedulable node that matches the template's
 * nodeSelector.
 *
 * @module
 */

import { randomSuffix, rec, shortHash } from "../object.ts";
import type { ControllerContext } from "./_context.ts";
import { ownedBy, stripUndefined } from "./_objects.ts";
import type { PodController } from "./pods.ts";

/** The DaemonSet controller. */
export class DaemonSetController {
  #ctx: ControllerContext;
  #pods: PodController;

  constructor(ctx: ControllerContext, pods: PodController) {
    this.#ctx = ctx;
    this.#pods = pods;
  }

  /** Reconciles one DaemonSet. */
  daemonSet(namespace: string, name: string): void {
    const type = this.#ctx.type("apps", "daemonsets");
    const ds = this.#ctx.api.peek(type, namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const fault = this.#ctx.api.faults.forObject(ds);
    const status = rec(ds.status);
    if (this.#ctx.stale(fault, status, ds)) return;
    const spec = rec(ds.spec);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rollout = this.#ctx.ready("daemonset", ds, hash);
    const podState = this.#ctx.podState(rollout.ready, fault);
    const selector = rec(rec(template.spec).nodeSelector);
    const nodes = this.#pods.nodes().filter((n) =>
      Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v)
    );
    const labels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "controller-revision-hash": hash,
      "pod-template-generation": String(ds.metadata.generation ?? 1),
    };
    const existing = this.#ctx.api.store.peekList("/pods", namespace).filter((p) => ownedBy(p, ds));
    const wanted = nodes.map((n) => ({
      name: existing.find((p) =>
        rec(p.spec).nodeName === n.metadata.name &&
        p.metadata.labels?.["controller-revision-hash"] === hash
      )
        ?.metadata.name ?? `${name}-${randomSuffix(this.#ctx.random)}`,
      labels,
      nodeName: n.metadata.name,
    }));
    this.#pods.syncPods(
      ds,
      wanted,
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    const desired = nodes.length;
    const ready = podState === "ready" ? desired : 0;
    this.#ctx.api.writeStatus(
      type,
      ds,
      stripUndefined({
        currentNumberScheduled: desired,
        numberMisscheduled: 0,
        desiredNumberScheduled: desired,
        numberReady: ready,
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled: desired,
        numberAvailable: ready || undefined,
        numberUnavailable: desired - ready || undefined,
      }),
    );
  }
}
