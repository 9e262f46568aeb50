/**
 * The controller loop: CRDs become Established and join discovery;
 * Deployments, DaemonSets (one pod per node), StatefulSets, ReplicaSets and
 * Jobs get pods and ready status after a delay; PVCs bind; LoadBalancer
 * Services get an address; namespaces are finalised; Events are recorded.
 * Per-object faults (never ready, CrashLoopBackOff, ...) change what they
 * write. Every write goes through the store, so watchers see a MODIFIED
 * event for each one.
 *
 * @module
 */

import type { Api } from "../api/mod.ts";
import type { KubeObject, OwnerReference } from "../object.ts";
import type { Scheduler } from "../scheduler.ts";
import type { StoreEvent } from "../store.ts";
import { ControllerContext, type ControllerOptions } from "./_context.ts";
import { KIND_BY_OWNER } from "./_objects.ts";
import { CrdController } from "./crds.ts";
import { DaemonSetController } from "./daemon_sets.ts";
import { JobController } from "./jobs.ts";
import { NamespaceController } from "./namespaces.ts";
import { PodController } from "./pods.ts";
import { ServiceController } from "./services.ts";
import { StatefulSetController } from "./stateful_sets.ts";
import { WorkloadController } from "./workloads.ts";

export type { ControllerOptions } from "./_context.ts";

/** The simulated controllers. */
export class Controllers {
  #ctx: ControllerContext;
  #namespaces: NamespaceController;
  #crds: CrdController;
  #pods: PodController;
  #workloads: WorkloadController;
  #daemonSets: DaemonSetController;
  #statefulSets: StatefulSetController;
  #jobs: JobController;
  #services: ServiceController;
  #unsubscribe: (() => void) | undefined;
  /** Errors thrown by reconcilers (kept for tests to inspect). */
  readonly errors: unknown[] = [];

  constructor(
    api: Api,
    scheduler: Scheduler,
    random: () => number,
    options: ControllerOptions = {},
  ) {
    this.#ctx = new ControllerContext({
      api,
      scheduler,
      random,
      options,
      reconcile: (kind, namespace, name) => this.#reconcile(kind, namespace, name),
    });
    this.#namespaces = new NamespaceController(this.#ctx);
    this.#crds = new CrdController(this.#ctx);
    this.#pods = new PodController(this.#ctx);
    this.#workloads = new WorkloadController(this.#ctx, this.#pods);
    this.#daemonSets = new DaemonSetController(this.#ctx, this.#pods);
    this.#statefulSets = new StatefulSetController(this.#ctx, this.#pods);
    this.#jobs = new JobController(this.#ctx, this.#pods);
    this.#services = new ServiceController(this.#ctx);
  }

  /** Starts reacting to writes, and reconciles what is already stored. */
  start(): void {
    this.#unsubscribe = this.#ctx.api.store.subscribe((e) => this.#onEvent(e));
    for (const gr of this.#ctx.api.store.groupResources()) {
      for (const obj of this.#ctx.api.store.peekList(gr)) {
        this.#onEvent({ rv: 0, type: "ADDED", gr, object: obj, source: "seed" });
      }
    }
  }

  /** Stops reacting (timers are owned by the scheduler). */
  stop(): void {
    this.#unsubscribe?.();
  }

  /** The delay before `obj` becomes ready (or Established), jitter applied. */
  delayFor(obj: KubeObject, fallback?: number): number {
    return this.#ctx.delayFor(obj, fallback);
  }

  #reconcile(kind: string, namespace: string | undefined, name: string): void {
    try {
      switch (kind) {
        case "crd":
          return this.#crds.crd(name);
        case "namespace":
          return this.#namespaces.namespace(name);
        case "deployment":
          return this.#workloads.deployment(namespace!, name);
        case "daemonset":
          return this.#daemonSets.daemonSet(namespace!, name);
        case "statefulset":
          return this.#statefulSets.statefulSet(namespace!, name);
        case "replicaset":
          return this.#workloads.replicaSet(namespace!, name);
        case "job":
          return this.#jobs.job(namespace!, name);
        case "pvc":
          return this.#statefulSets.pvc(namespace!, name);
        case "service":
          return this.#services.service(namespace!, name);
        case "pod":
          return this.#pods.pod(namespace!, name);
      }
    } catch (error) {
      this.errors.push(error);
    }
  }

  #onEvent(e: StoreEvent): void {
    const obj = e.object;
    const ns = obj.metadata.namespace;
    const name = obj.metadata.name ?? "";
    if (e.type === "DELETED") {
      this.#ctx.rollouts.delete(obj.metadata.uid ?? "");
      this.#services.forget(obj.metadata.uid ?? "");
      if (ns) {
        const owner = this.#ctx.api.store.peek("/namespaces", undefined, ns);
        if (owner?.metadata.deletionTimestamp) this.#ctx.enqueue("namespace", undefined, ns, 1);
      }
      if (e.source !== "controller" && this.#ctx.options.workloads) {
        for (const ref of obj.metadata.ownerReferences ?? []) this.#enqueueOwner(ref, ns);
      }
      return;
    }
    if (e.gr === "/namespaces") {
      if (e.type === "ADDED") this.#namespaces.ensureDefaultServiceAccount(name);
      if (obj.metadata.deletionTimestamp) this.#ctx.enqueue("namespace", undefined, name, 1);
      return;
    }
    if (e.source === "controller" || e.source === "status") return;
    if (e.gr === "apiextensions.k8s.io/customresourcedefinitions") {
      this.#ctx.enqueue("crd", undefined, name);
      return;
    }
    if (!this.#ctx.options.workloads) return;
    const kind = KIND_BY_GR[e.gr];
    if (kind) this.#ctx.enqueue(kind, ns, name);
  }

  #enqueueOwner(ref: OwnerReference, namespace: string | undefined): void {
    const kind = KIND_BY_OWNER[ref.kind];
    if (kind) this.#ctx.enqueue(kind, namespace, ref.name, 1);
  }
}

const KIND_BY_GR: Record<string, string> = {
  "apps/deployments": "deployment",
  "apps/daemonsets": "daemonset",
  "apps/statefulsets": "statefulset",
  "apps/replicasets": "replicaset",
  "batch/jobs": "job",
  "/persistentvolumeclaims": "pvc",
  "/services": "service",
  "/pods": "pod",
};
