/**
 * Deployments (a ReplicaSet per template, older ones scaled down, the
 * Available and Progressing conditions) and ReplicaSets of their own.
 *
 * @module
 */

import { clone, num, type Rec, rec, shortHash } from "../object.ts";
import type { ControllerContext } from "./_context.ts";
import { condition, ownedBy, ownerRef, stripUndefined } from "./_objects.ts";
import type { PodController } from "./pods.ts";

/** The Deployment and ReplicaSet controllers. */
export class WorkloadController {
  #ctx: ControllerContext;
  #pods: PodController;

  constructor(ctx: ControllerContext, pods: PodController) {
    this.#ctx = ctx;
    this.#pods = pods;
  }

  /** Reconciles one Deployment. */
  deployment(namespace: string, name: string): void {
    const type = this.#ctx.type("apps", "deployments");
    const d = this.#ctx.api.peek(type, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const fault = this.#ctx.api.faults.forObject(d);
    const spec = rec(d.spec);
    const status = rec(d.status);
    if (this.#ctx.stale(fault, status, d)) return;
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rsName = `${name}-${hash}`;
    const rsType = this.#ctx.type("apps", "replicasets");
    const matchLabels = rec(rec(spec.selector).matchLabels) as Record<string, string>;
    const podLabels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "pod-template-hash": hash,
    };
    const owned = this.#ctx.api.store.peekList("apps/replicasets", namespace).filter((rs) =>
      ownedBy(rs, d)
    );
    const revisions = owned.map((rs) =>
      Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0)
    );
    let rs = owned.find((r) => r.metadata.name === rsName);
    const rollout = this.#ctx.ready("deployment", d, hash);
    const podState = this.#ctx.podState(rollout.ready, fault);
    const readyPods = podState === "ready" ? replicas : 0;
    const rsStatus = (gen: number): Rec =>
      stripUndefined({
        replicas,
        fullyLabeledReplicas: replicas,
        readyReplicas: readyPods || undefined,
        availableReplicas: readyPods || undefined,
        observedGeneration: gen,
      });
    if (!rs) {
      const revision = String(Math.max(0, ...revisions) + 1);
      rs = this.#ctx.api.controllerCreate(rsType, {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: rsName,
          namespace,
          labels: podLabels,
          annotations: {
            "deployment.kubernetes.io/desired-replicas": String(replicas),
            "deployment.kubernetes.io/max-replicas": String(replicas + 1),
            "deployment.kubernetes.io/revision": revision,
          },
          ownerReferences: [ownerRef(d)],
        },
        spec: {
          replicas,
          selector: { matchLabels: { ...matchLabels, "pod-template-hash": hash } },
          template: { ...template, metadata: { ...rec(template.metadata), labels: podLabels } },
        },
      });
      if (!rs) return;
      this.#ctx.events.record(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up replica set ${rsName} from 0 to ${replicas}`,
        "deployment-controller",
      );
    } else if (num(rec(rs.spec).replicas, 1) !== replicas) {
      const next = clone(rs);
      (next.spec as Rec).replicas = replicas;
      rs = this.#ctx.api.writeObject(rsType, next) ?? rs;
    }
    for (const old of owned) {
      if (old.metadata.name === rsName) continue;
      if (num(rec(old.spec).replicas, 1) !== 0) {
        const next = clone(old);
        (next.spec as Rec).replicas = 0;
        this.#ctx.api.writeObject(rsType, next);
        this.#ctx.events.record(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled down replica set ${old.metadata.name} from ${
            num(rec(old.spec).replicas, 1)
          } to 0`,
          "deployment-controller",
        );
      }
      this.#pods.syncPods(old, [], {}, "ready", undefined, () => false);
      const current = this.#ctx.api.store.peek(
        "apps/replicasets",
        namespace,
        old.metadata.name ?? "",
      );
      if (current) {
        this.#ctx.api.writeStatus(rsType, current, {
          replicas: 0,
          observedGeneration: current.metadata.generation,
        });
      }
    }
    const wanted = this.#pods.namedPods(rsName, replicas, rs, podLabels);
    this.#pods.syncPods(
      rs,
      wanted,
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    this.#ctx.api.writeStatus(rsType, rs, rsStatus(rs.metadata.generation ?? 1));
    const prev = status.conditions;
    const deadline = fault?.fault === "progress-deadline" && rollout.ready;
    const available = readyPods >= replicas;
    const conditions = [
      available
        ? condition(
          prev,
          "Available",
          "True",
          "MinimumReplicasAvailable",
          "Deployment has minimum availability.",
          { lastUpdateTime: "" },
        )
        : condition(
          prev,
          "Available",
          "False",
          "MinimumReplicasUnavailable",
          "Deployment does not have minimum availability.",
          { lastUpdateTime: "" },
        ),
      deadline
        ? condition(
          prev,
          "Progressing",
          "False",
          "ProgressDeadlineExceeded",
          `ReplicaSet "${rsName}" has timed out progressing.`,
          { lastUpdateTime: "" },
        )
        : available
        ? condition(
          prev,
          "Progressing",
          "True",
          "NewReplicaSetAvailable",
          `ReplicaSet "${rsName}" has successfully progressed.`,
          { lastUpdateTime: "" },
        )
        : condition(
          prev,
          "Progressing",
          "True",
          "ReplicaSetUpdated",
          `ReplicaSet "${rsName}" is progressing.`,
          { lastUpdateTime: "" },
        ),
    ];
    this.#ctx.api.writeStatus(
      type,
      d,
      stripUndefined({
        observedGeneration: d.metadata.generation,
        replicas: replicas || undefined,
        updatedReplicas: replicas || undefined,
        readyReplicas: readyPods || undefined,
        availableReplicas: readyPods || undefined,
        unavailableReplicas: replicas - readyPods || undefined,
        conditions,
      }),
    );
  }

  /** Reconciles one ReplicaSet (one a Deployment owns hands over to it). */
  replicaSet(namespace: string, name: string): void {
    const type = this.#ctx.type("apps", "replicasets");
    const rs = this.#ctx.api.peek(type, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const deployOwner = (rs.metadata.ownerReferences ?? []).find((r) => r.kind === "Deployment");
    if (deployOwner) {
      this.#ctx.enqueue("deployment", namespace, deployOwner.name);
      return;
    }
    const fault = this.#ctx.api.faults.forObject(rs);
    const spec = rec(rs.spec);
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rollout = this.#ctx.ready("replicaset", rs, hash);
    const podState = this.#ctx.podState(rollout.ready, fault);
    const labels = rec(rec(template.metadata).labels) as Record<string, string>;
    this.#pods.syncPods(
      rs,
      this.#pods.namedPods(name, replicas, rs, labels),
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    const ready = podState === "ready" ? replicas : 0;
    this.#ctx.api.writeStatus(
      type,
      rs,
      stripUndefined({
        replicas,
        fullyLabeledReplicas: replicas,
        readyReplicas: ready || undefined,
        availableReplicas: ready || undefined,
        observedGeneration: rs.metadata.generation,
      }),
    );
  }
}
