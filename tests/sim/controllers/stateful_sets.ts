/**
 * StatefulSets (ordinal pods, revisions, claims from volumeClaimTemplates)
 * and PersistentVolumeClaims that bind after a delay.
 *
 * @module
 */

import { arr, clone, isRec, num, rec, shortHash, str } from "../object.ts";
import type { ControllerContext } from "./_context.ts";
import { stripUndefined } from "./_objects.ts";
import type { PodController } from "./pods.ts";

/** The StatefulSet and PersistentVolumeClaim controllers. */
export class StatefulSetController {
  #ctx: ControllerContext;
  #pods: PodController;

  constructor(ctx: ControllerContext, pods: PodController) {
    this.#ctx = ctx;
    this.#pods = pods;
  }

  /** Reconciles one StatefulSet. */
  statefulSet(namespace: string, name: string): void {
    const type = this.#ctx.type("apps", "statefulsets");
    const sts = this.#ctx.api.peek(type, namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const fault = this.#ctx.api.faults.forObject(sts);
    const status = rec(sts.status);
    if (this.#ctx.stale(fault, status, sts)) return;
    const spec = rec(sts.spec);
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const revision = `${name}-${hash}`;
    const rollout = this.#ctx.ready("statefulset", sts, hash);
    const podState = this.#ctx.podState(rollout.ready, fault);
    const baseLabels = rec(rec(template.metadata).labels) as Record<string, string>;
    const wanted = Array.from({ length: replicas }, (_, i) => ({
      name: `${name}-${i}`,
      labels: {
        ...baseLabels,
        "controller-revision-hash": revision,
        "statefulset.kubernetes.io/pod-name": `${name}-${i}`,
        "apps.kubernetes.io/pod-index": String(i),
      },
    }));
    const pvcType = this.#ctx.type("", "persistentvolumeclaims");
    for (const tpl of arr(spec.volumeClaimTemplates).filter(isRec)) {
      for (let i = 0; i < replicas; i++) {
        const claim = `${str(rec(tpl.metadata).name)}-${name}-${i}`;
        if (this.#ctx.api.peek(pvcType, namespace, claim)) continue;
        this.#ctx.api.controllerCreate(pvcType, {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: claim, namespace, labels: { ...baseLabels } },
          spec: clone(rec(tpl.spec)),
        });
        this.#ctx.enqueue("pvc", namespace, claim);
      }
    }
    this.#pods.syncPods(
      sts,
      wanted,
      template,
      podState,
      fault,
      (p, w) =>
        p.metadata.name === w.name && p.metadata.labels?.["controller-revision-hash"] === revision,
    );
    const ready = podState === "ready" ? replicas : 0;
    const previousRevision = str(status.currentRevision, revision);
    this.#ctx.api.writeStatus(
      type,
      sts,
      stripUndefined({
        observedGeneration: sts.metadata.generation,
        replicas,
        readyReplicas: ready || undefined,
        currentReplicas: ready ? replicas : (previousRevision === revision ? replicas : undefined),
        updatedReplicas: replicas,
        availableReplicas: ready || undefined,
        currentRevision: ready ? revision : previousRevision,
        updateRevision: revision,
        collisionCount: 0,
      }),
    );
  }

  /** Binds one PersistentVolumeClaim once its delay has passed. */
  pvc(namespace: string, name: string): void {
    const type = this.#ctx.type("", "persistentvolumeclaims");
    const pvc = this.#ctx.api.peek(type, namespace, name);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const fault = this.#ctx.api.faults.forObject(pvc);
    if (str(rec(pvc.status).phase) === "Bound") return;
    if (fault?.fault === "never-bound") {
      this.#ctx.events.record(
        pvc,
        "Normal",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
        "persistentvolume-controller",
      );
      return;
    }
    const rollout = this.#ctx.ready("pvc", pvc, "bind");
    if (!rollout.ready) return;
    const spec = rec(pvc.spec);
    const next = clone(pvc);
    const volume = `pvc-${pvc.metadata.uid}`;
    next.spec = {
      ...spec,
      volumeName: volume,
      storageClassName: spec.storageClassName ?? "standard",
    };
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
    };
    const written = this.#ctx.api.writeObject(type, next);
    if (!written) return;
    this.#ctx.api.writeStatus(type, written, {
      phase: "Bound",
      accessModes: spec.accessModes ?? ["ReadWriteOnce"],
      capacity: { storage: str(rec(rec(spec.resources).requests).storage, "1Gi") },
    });
  }
}
