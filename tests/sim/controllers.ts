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

import type { Api } from "./api.ts";
import type { ObjectFault } from "./faults.ts";
import {
  arr,
  clone,
  deepEqual,
  isRec,
  type KubeObject,
  nowIso,
  num,
  type OwnerReference,
  randomSuffix,
  type Rec,
  rec,
  seededRandom,
  shortHash,
  str,
} from "./object.ts";
import { compareVersions, type ResourceType } from "./resources.ts";
import type { Scheduler } from "./scheduler.ts";
import { type PodState, podStatus } from "./pod_status.ts";
import type { StoreEvent } from "./store.ts";

/** Readiness timing. */
export interface ControllerOptions {
  /** Delay before workloads become ready (default 100 ms). */
  readyAfterMs?: number;
  /** Delay before CRDs become Established (default 20 ms). */
  establishAfterMs?: number;
  /** Delay by `"<namespace>/<Kind>/<name>"` (namespace empty for cluster-scoped objects). */
  readyDelays?: Record<string, number>;
  /** Delay by a function; undefined falls through to the defaults. */
  readyDelay?: (obj: KubeObject) => number | undefined;
  /**
   * Relative jitter applied to every delay, e.g. 0.1 for ±10 %. It is drawn
   * from `seed` and the object's namespace, kind and name, so the same object
   * gets the same delay in every run whatever the order of events.
   */
  jitter?: number;
  /** Seed of the jitter (default 0). */
  seed?: number;
  /** Addresses handed to LoadBalancer Services, in order. */
  loadBalancerIps?: string[];
  /** Run the workload controllers (default true). Namespaces, CRDs and GC always run. */
  workloads?: boolean;
}

interface Rollout {
  revision: string;
  ready: boolean;
  started: number;
}

const ANNOTATION_DELAY = "sim.meshup.dev/ready-after-ms";

function ownerRef(obj: KubeObject): OwnerReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name ?? "",
    uid: obj.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

function condition(
  previous: unknown,
  type: string,
  status: "True" | "False" | "Unknown",
  reason: string,
  message: string,
  extra: Rec = {},
): Rec {
  const now = nowIso();
  const old = arr(previous).filter(isRec).find((c) => c.type === type);
  const same = old && old.status === status && old.reason === reason && old.message === message;
  const transition = old && old.status === status ? old.lastTransitionTime : now;
  return {
    type,
    status,
    ...extra,
    ...(extra.lastUpdateTime !== undefined
      ? { lastUpdateTime: same ? old.lastUpdateTime ?? now : now }
      : {}),
    lastTransitionTime: transition ?? now,
    reason,
    message,
  };
}

/** The simulated controllers. */
export class Controllers {
  #api: Api;
  #scheduler: Scheduler;
  #options: Required<Omit<ControllerOptions, "readyDelay">> & Pick<ControllerOptions, "readyDelay">;
  #random: () => number;
  #rollouts = new Map<string, Rollout>();
  #lbAssigned = new Map<string, string>();
  #lbNext = 0;
  #podIp = 10;
  #nextNode = 0;
  #eventSeq = 0;
  #unsubscribe: (() => void) | undefined;
  /** Errors thrown by reconcilers (kept for tests to inspect). */
  readonly errors: unknown[] = [];

  constructor(
    api: Api,
    scheduler: Scheduler,
    random: () => number,
    options: ControllerOptions = {},
  ) {
    this.#api = api;
    this.#scheduler = scheduler;
    this.#random = random;
    this.#options = {
      readyAfterMs: options.readyAfterMs ?? 100,
      establishAfterMs: options.establishAfterMs ?? 20,
      readyDelays: options.readyDelays ?? {},
      readyDelay: options.readyDelay,
      jitter: options.jitter ?? 0,
      seed: options.seed ?? 0,
      loadBalancerIps: options.loadBalancerIps ??
        Array.from({ length: 200 }, (_, i) => `127.0.0.${i + 2}`),
      workloads: options.workloads ?? true,
    };
  }

  /** Starts reacting to writes, and reconciles what is already stored. */
  start(): void {
    this.#unsubscribe = this.#api.store.subscribe((e) => this.#onEvent(e));
    for (const gr of this.#api.store.groupResources()) {
      for (const obj of this.#api.store.peekList(gr)) {
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
    const annotated = Number(obj.metadata.annotations?.[ANNOTATION_DELAY]);
    const ns = obj.metadata.namespace ?? "";
    const name = obj.metadata.name ?? "";
    const byName = this.#options.readyDelays[`${ns}/${obj.kind}/${name}`] ??
      (ns ? undefined : this.#options.readyDelays[`${obj.kind}/${name}`]);
    const base =
      Number.isFinite(annotated) && obj.metadata.annotations?.[ANNOTATION_DELAY] !== undefined
        ? annotated
        : byName ?? this.#options.readyDelay?.(obj) ?? fallback ??
          (obj.kind === "CustomResourceDefinition"
            ? this.#options.establishAfterMs
            : this.#options.readyAfterMs);
    const jitter = this.#options.jitter;
    if (!jitter || base <= 0) return base;
    const unit = seededRandom(
      Number.parseInt(shortHash([this.#options.seed, ns, obj.kind, name], 6), 36) >>> 0,
    )();
    return Math.max(0, Math.round(base * (1 + jitter * (2 * unit - 1))));
  }

  #type(group: string, resource: string): ResourceType {
    const t = this.#api.registry.findAnyVersion(group, resource);
    if (!t) throw new Error(`no type ${group}/${resource}`);
    return t;
  }

  #enqueue(kind: string, namespace: string | undefined, name: string, delay = 0): void {
    this.#scheduler.after(delay, () => this.#reconcile(kind, namespace, name), {
      key: `reconcile:${kind}/${namespace ?? ""}/${name}`,
    });
  }

  #reconcile(kind: string, namespace: string | undefined, name: string): void {
    try {
      switch (kind) {
        case "crd":
          return this.#crd(name);
        case "namespace":
          return this.#namespace(name);
        case "deployment":
          return this.#deployment(namespace!, name);
        case "daemonset":
          return this.#daemonSet(namespace!, name);
        case "statefulset":
          return this.#statefulSet(namespace!, name);
        case "replicaset":
          return this.#replicaSet(namespace!, name);
        case "job":
          return this.#job(namespace!, name);
        case "pvc":
          return this.#pvc(namespace!, name);
        case "service":
          return this.#service(namespace!, name);
        case "pod":
          return this.#pod(namespace!, name);
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
      this.#rollouts.delete(obj.metadata.uid ?? "");
      this.#lbAssigned.delete(obj.metadata.uid ?? "");
      if (ns) {
        const owner = this.#api.store.peek("/namespaces", undefined, ns);
        if (owner?.metadata.deletionTimestamp) this.#enqueue("namespace", undefined, ns, 1);
      }
      if (e.source !== "controller" && this.#options.workloads) {
        for (const ref of obj.metadata.ownerReferences ?? []) this.#enqueueOwner(ref, ns);
      }
      return;
    }
    if (e.gr === "/namespaces") {
      if (e.type === "ADDED") this.#ensureDefaultServiceAccount(name);
      if (obj.metadata.deletionTimestamp) this.#enqueue("namespace", undefined, name, 1);
      return;
    }
    if (e.source === "controller" || e.source === "status") return;
    if (e.gr === "apiextensions.k8s.io/customresourcedefinitions") {
      this.#enqueue("crd", undefined, name);
      return;
    }
    if (!this.#options.workloads) return;
    const kind = KIND_BY_GR[e.gr];
    if (kind) this.#enqueue(kind, ns, name);
  }

  #enqueueOwner(ref: OwnerReference, namespace: string | undefined): void {
    const kind = KIND_BY_OWNER[ref.kind];
    if (kind) this.#enqueue(kind, namespace, ref.name, 1);
  }

  // -------------------------------------------------------------------------
  // Namespaces

  #ensureDefaultServiceAccount(namespace: string): void {
    const saType = this.#type("", "serviceaccounts");
    if (this.#api.peek(saType, namespace, "default")) return;
    this.#api.controllerCreate(saType, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default", namespace },
    });
  }

  #namespace(name: string): void {
    const ns = this.#api.store.peek("/namespaces", undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const gr of this.#api.store.groupResources()) {
      if (gr === "/namespaces") continue;
      const slash = gr.indexOf("/");
      const type = this.#api.registry.findAnyVersion(gr.slice(0, slash), gr.slice(slash + 1));
      for (const obj of this.#api.store.peekList(gr, name)) {
        if (!type) {
          this.#api.store.remove(gr, name, obj.metadata.name ?? "", "controller");
          continue;
        }
        if (!obj.metadata.deletionTimestamp) {
          this.#api.controllerDelete(type, name, obj.metadata.name ?? "");
        }
        if (this.#api.store.peek(gr, name, obj.metadata.name ?? "")) remaining++;
      }
    }
    if (remaining > 0) {
      const status = {
        ...rec(ns.status),
        phase: "Terminating",
        conditions: [condition(
          rec(ns.status).conditions,
          "NamespaceContentRemaining",
          "True",
          "SomeResourcesRemain",
          `Some resources are remaining: ${remaining} objects`,
        )],
      };
      this.#api.writeStatus(this.#type("", "namespaces"), ns, status);
      return;
    }
    if (arr(rec(ns.spec).finalizers).length > 0) {
      this.#api.finalizeNamespace(name, { spec: { finalizers: [] } });
    }
  }

  // -------------------------------------------------------------------------
  // CRDs

  #crd(name: string): void {
    const crdType = this.#type("apiextensions.k8s.io", "customresourcedefinitions");
    const crd = this.#api.peek(crdType, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    const fault = this.#api.faults.forObject(crd);
    if (fault?.fault === "never-established") return;
    const spec = rec(crd.spec);
    const versions = arr(spec.versions).filter(isRec);
    const signature = shortHash({
      group: spec.group,
      names: spec.names,
      scope: spec.scope,
      versions: versions.map((v) => [v.name, v.served, rec(v.subresources).status !== undefined]),
    });
    const key = `crd/${crd.metadata.uid}`;
    const state = this.#rollouts.get(key);
    if (!state || state.revision !== signature) {
      this.#rollouts.set(key, { revision: signature, ready: false, started: Date.now() });
      this.#scheduler.after(this.delayFor(crd), () => this.#establish(name, signature), {
        key: `establish:${name}`,
        replace: true,
      });
    }
  }

  #establish(name: string, signature: string): void {
    const crdType = this.#type("apiextensions.k8s.io", "customresourcedefinitions");
    const crd = this.#api.peek(crdType, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    const state = this.#rollouts.get(`crd/${crd.metadata.uid}`);
    if (!state || state.revision !== signature) return;
    state.ready = true;
    const spec = rec(crd.spec);
    const names = rec(spec.names);
    const group = str(spec.group);
    const plural = str(names.plural);
    const kind = str(names.kind);
    const versions = arr(spec.versions).filter(isRec);
    const namespaced = spec.scope !== "Cluster";
    if (!group || !plural || !kind || versions.length === 0) {
      const status = {
        ...rec(crd.status),
        conditions: [condition(
          rec(crd.status).conditions,
          "NamesAccepted",
          "False",
          "InvalidNames",
          "spec.group, spec.names.plural, spec.names.kind and spec.versions are required",
        )],
      };
      this.#api.writeStatus(crdType, crd, status);
      return;
    }
    const types: ResourceType[] = versions.filter((v) => v.served !== false).map((v) => ({
      group,
      version: str(v.name),
      resource: plural,
      kind,
      singular: str(names.singular, kind.toLowerCase()),
      namespaced,
      shortNames: arr(names.shortNames).map(String),
      categories: arr(names.categories).map(String),
      verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
      status: rec(v.subresources).status !== undefined,
      generation: true,
    }));
    types.sort((a, b) => compareVersions(a.version, b.version));
    this.#api.registry.setCrdTypes(name, types);
    const storage = versions.find((v) => v.storage === true) ?? versions[0];
    const stored = new Set([...arr(rec(crd.status).storedVersions).map(String), str(storage.name)]);
    const prev = rec(crd.status).conditions;
    const status: Rec = {
      conditions: [
        condition(prev, "NamesAccepted", "True", "NoConflicts", "no conflicts found"),
        condition(
          prev,
          "Established",
          "True",
          "InitialNamesAccepted",
          "the initial names have been accepted",
        ),
      ],
      acceptedNames: {
        plural,
        singular: str(names.singular, kind.toLowerCase()),
        kind,
        listKind: str(names.listKind, `${kind}List`),
        ...(arr(names.shortNames).length ? { shortNames: names.shortNames } : {}),
        ...(arr(names.categories).length ? { categories: names.categories } : {}),
      },
      storedVersions: [...stored],
    };
    this.#api.writeStatus(crdType, crd, status);
  }

  // -------------------------------------------------------------------------
  // Readiness bookkeeping

  /** Whether the rollout of `obj` at `revision` is past its delay; schedules it if new. */
  #ready(kind: string, obj: KubeObject, revision: string): Rollout {
    const key = `${kind}/${obj.metadata.uid}`;
    let state = this.#rollouts.get(key);
    if (!state || state.revision !== revision) {
      const delay = this.delayFor(obj);
      state = { revision, ready: delay <= 0, started: Date.now() };
      this.#rollouts.set(key, state);
      if (delay > 0) {
        const current = state;
        this.#scheduler.after(delay, () => {
          current.ready = true;
          this.#enqueue(kind, obj.metadata.namespace, obj.metadata.name ?? "");
        }, { key: `ready:${key}`, replace: true });
      }
    }
    return state;
  }

  #podState(ready: boolean, fault: ObjectFault | undefined): PodState {
    // Pods that can never start show it at once, before the workload's status is written,
    // so a watcher re-reading pods on the next workload event sees them failing.
    if (fault?.fault === "unschedulable") return "unschedulable";
    if (fault?.fault === "crash-loop") return "crash-loop";
    if (fault?.fault === "image-pull-backoff") return "image-pull";
    if (!ready) return "pending";
    switch (fault?.fault) {
      case "never-ready":
      case "progress-deadline":
        return "not-ready";
      default:
        return "ready";
    }
  }

  // -------------------------------------------------------------------------
  // Pods

  #nodes(): KubeObject[] {
    return this.#api.store.peekList("/nodes").filter((n) => !rec(n.spec).unschedulable);
  }

  #nodeAddress(nodeName: string): string {
    const node = this.#api.store.peek("/nodes", undefined, nodeName);
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
    const podType = this.#type("", "pods");
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
    const nodes = this.#nodes();
    const node = nodeName ?? nodes[this.#nextNode++ % Math.max(1, nodes.length)]?.metadata.name;
    if (state !== "unschedulable" && node) spec.nodeName = node;
    pod.status = this.#podStatus(pod, state, fault, undefined);
    const created = this.#api.controllerCreate(podType, pod);
    if (created) {
      if (state !== "unschedulable" && node) {
        this.#event(
          created,
          "Normal",
          "Scheduled",
          `Successfully assigned ${owner.metadata.namespace}/${name} to ${node}`,
          "default-scheduler",
        );
      }
      this.#podEvents(created, state, fault);
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
      nodeCount: this.#nodes().length,
    });
  }

  #setPodState(pod: KubeObject, state: PodState, fault: ObjectFault | undefined): void {
    const podType = this.#type("", "pods");
    const status = this.#podStatus(pod, state, fault, rec(pod.status));
    const before = clone(rec(pod.status));
    const written = this.#api.writeStatus(podType, pod, stripUndefined(status));
    if (written && !deepEqual(before, written.status)) this.#podEvents(written, state, fault);
  }

  #podEvents(pod: KubeObject, state: PodState, fault: ObjectFault | undefined): void {
    const containers = arr(rec(pod.spec).containers).filter(isRec);
    const first = containers[0] ?? {};
    const fieldPath = `spec.containers{${str(first.name)}}`;
    switch (state) {
      case "crash-loop":
        this.#event(
          pod,
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${
            str(first.name)
          } in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
          "kubelet",
          fieldPath,
          fault?.restartCount ?? 5,
        );
        break;
      case "image-pull":
        this.#event(
          pod,
          "Warning",
          "Failed",
          `Failed to pull image "${
            str(first.image)
          }": rpc error: code = NotFound desc = failed to pull and unpack image "${
            str(first.image)
          }": not found`,
          "kubelet",
          fieldPath,
        );
        this.#event(pod, "Warning", "Failed", "Error: ImagePullBackOff", "kubelet", fieldPath);
        this.#event(
          pod,
          "Normal",
          "BackOff",
          `Back-off pulling image "${str(first.image)}"`,
          "kubelet",
          fieldPath,
        );
        break;
      case "unschedulable": {
        const status = rec(pod.status);
        const c = arr(status.conditions).filter(isRec).find((x) => x.type === "PodScheduled");
        this.#event(
          pod,
          "Warning",
          "FailedScheduling",
          str(c?.message, "0/1 nodes are available"),
          "default-scheduler",
        );
        break;
      }
      case "not-ready":
        this.#event(
          pod,
          "Warning",
          "Unhealthy",
          fault?.message ?? "Readiness probe failed: HTTP probe failed with statuscode: 503",
          "kubelet",
          fieldPath,
        );
        break;
      case "ready":
        this.#event(
          pod,
          "Normal",
          "Started",
          `Started container ${str(first.name)}`,
          "kubelet",
          fieldPath,
        );
        break;
    }
  }

  /** Records an Event about `obj` (count bumped when the same reason and message repeat). */
  #event(
    obj: KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
    count = 1,
  ): void {
    const eventType = this.#type("", "events");
    const namespace = obj.metadata.namespace ?? "default";
    const now = nowIso();
    const existing = this.#api.store.peekList("/events", namespace).find((e) =>
      rec(e.involvedObject).uid === obj.metadata.uid && e.reason === reason && e.message === message
    );
    if (existing) {
      const next = clone(existing);
      next.count = Math.max(num(existing.count, 1) + 1, count);
      next.lastTimestamp = now;
      this.#api.writeObject(eventType, next);
      return;
    }
    const involved: Rec = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (fieldPath) involved.fieldPath = fieldPath;
    const id = (Date.now() * 1000 + (this.#eventSeq++ % 1000)).toString(16);
    this.#api.controllerCreate(eventType, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${obj.metadata.name}.${id}`, namespace },
      involvedObject: stripUndefined(involved),
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count,
      reportingComponent: component,
      reportingInstance: "",
      eventTime: null,
    });
  }

  /** Ensures the pods of `owner` match `want` (by name), deleting the rest; sets their state. */
  #syncPods(
    owner: KubeObject,
    want: { name: string; labels: Record<string, string>; nodeName?: string }[],
    template: Rec,
    state: PodState,
    fault: ObjectFault | undefined,
    matches: (pod: KubeObject, want: { name: string; labels: Record<string, string> }) => boolean,
  ): KubeObject[] {
    const podType = this.#type("", "pods");
    const existing = this.#api.store.peekList("/pods", owner.metadata.namespace)
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
        const now = this.#api.store.peek(
          "/pods",
          found.metadata.namespace,
          found.metadata.name ?? "",
        );
        if (now) kept.push(now);
      }
    }
    for (const p of existing) {
      if (!used.has(p)) {
        this.#api.controllerDelete(podType, p.metadata.namespace, p.metadata.name ?? "");
      }
    }
    for (const w of want) {
      if (kept.some((p) => matches(p, w))) continue;
      const created = this.#createPod(owner, w.name, template, w.labels, w.nodeName, state, fault);
      if (created) kept.push(created);
    }
    return kept;
  }

  // -------------------------------------------------------------------------
  // Workloads

  #deployment(namespace: string, name: string): void {
    const type = this.#type("apps", "deployments");
    const d = this.#api.peek(type, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const fault = this.#api.faults.forObject(d);
    const spec = rec(d.spec);
    const status = rec(d.status);
    if (this.#stale(fault, status, d)) return;
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rsName = `${name}-${hash}`;
    const rsType = this.#type("apps", "replicasets");
    const matchLabels = rec(rec(spec.selector).matchLabels) as Record<string, string>;
    const podLabels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "pod-template-hash": hash,
    };
    const owned = this.#api.store.peekList("apps/replicasets", namespace).filter((rs) =>
      ownedBy(rs, d)
    );
    const revisions = owned.map((rs) =>
      Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0)
    );
    let rs = owned.find((r) => r.metadata.name === rsName);
    const rollout = this.#ready("deployment", d, hash);
    const podState = this.#podState(rollout.ready, fault);
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
      rs = this.#api.controllerCreate(rsType, {
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
      this.#event(
        d,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up replica set ${rsName} from 0 to ${replicas}`,
        "deployment-controller",
      );
    } else if (num(rec(rs.spec).replicas, 1) !== replicas) {
      const next = clone(rs);
      (next.spec as Rec).replicas = replicas;
      rs = this.#api.writeObject(rsType, next) ?? rs;
    }
    for (const old of owned) {
      if (old.metadata.name === rsName) continue;
      if (num(rec(old.spec).replicas, 1) !== 0) {
        const next = clone(old);
        (next.spec as Rec).replicas = 0;
        this.#api.writeObject(rsType, next);
        this.#event(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled down replica set ${old.metadata.name} from ${
            num(rec(old.spec).replicas, 1)
          } to 0`,
          "deployment-controller",
        );
      }
      this.#syncPods(old, [], {}, "ready", undefined, () => false);
      const current = this.#api.store.peek("apps/replicasets", namespace, old.metadata.name ?? "");
      if (current) {
        this.#api.writeStatus(rsType, current, {
          replicas: 0,
          observedGeneration: current.metadata.generation,
        });
      }
    }
    const wanted = this.#namedPods(rsName, replicas, rs, podLabels);
    this.#syncPods(
      rs,
      wanted,
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    this.#api.writeStatus(rsType, rs, rsStatus(rs.metadata.generation ?? 1));
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
    this.#api.writeStatus(
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

  /** With `stale-generation`, a workload stops observing spec changes after its first generation. */
  #stale(fault: ObjectFault | undefined, status: Rec, obj: KubeObject): boolean {
    return fault?.fault === "stale-generation" && status.observedGeneration !== undefined &&
      status.observedGeneration !== obj.metadata.generation;
  }

  #namedPods(
    prefix: string,
    count: number,
    owner: KubeObject,
    labels: Record<string, string>,
  ): { name: string; labels: Record<string, string> }[] {
    const existing = this.#api.store.peekList("/pods", owner.metadata.namespace).filter((p) =>
      ownedBy(p, owner)
    );
    const out: { name: string; labels: Record<string, string> }[] = [];
    for (let i = 0; i < count; i++) {
      const name = existing[i]?.metadata.name ?? `${prefix}-${randomSuffix(this.#random)}`;
      out.push({ name, labels });
    }
    return out;
  }

  #replicaSet(namespace: string, name: string): void {
    const type = this.#type("apps", "replicasets");
    const rs = this.#api.peek(type, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const deployOwner = (rs.metadata.ownerReferences ?? []).find((r) => r.kind === "Deployment");
    if (deployOwner) {
      this.#enqueue("deployment", namespace, deployOwner.name);
      return;
    }
    const fault = this.#api.faults.forObject(rs);
    const spec = rec(rs.spec);
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rollout = this.#ready("replicaset", rs, hash);
    const podState = this.#podState(rollout.ready, fault);
    const labels = rec(rec(template.metadata).labels) as Record<string, string>;
    this.#syncPods(
      rs,
      this.#namedPods(name, replicas, rs, labels),
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    const ready = podState === "ready" ? replicas : 0;
    this.#api.writeStatus(
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

  #daemonSet(namespace: string, name: string): void {
    const type = this.#type("apps", "daemonsets");
    const ds = this.#api.peek(type, namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const fault = this.#api.faults.forObject(ds);
    const status = rec(ds.status);
    if (this.#stale(fault, status, ds)) return;
    const spec = rec(ds.spec);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const rollout = this.#ready("daemonset", ds, hash);
    const podState = this.#podState(rollout.ready, fault);
    const selector = rec(rec(template.spec).nodeSelector);
    const nodes = this.#nodes().filter((n) =>
      Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v)
    );
    const labels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "controller-revision-hash": hash,
      "pod-template-generation": String(ds.metadata.generation ?? 1),
    };
    const existing = this.#api.store.peekList("/pods", namespace).filter((p) => ownedBy(p, ds));
    const wanted = nodes.map((n) => ({
      name: existing.find((p) =>
        rec(p.spec).nodeName === n.metadata.name &&
        p.metadata.labels?.["controller-revision-hash"] === hash
      )
        ?.metadata.name ?? `${name}-${randomSuffix(this.#random)}`,
      labels,
      nodeName: n.metadata.name,
    }));
    this.#syncPods(ds, wanted, template, podState, fault, (p, w) => p.metadata.name === w.name);
    const desired = nodes.length;
    const ready = podState === "ready" ? desired : 0;
    this.#api.writeStatus(
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

  #statefulSet(namespace: string, name: string): void {
    const type = this.#type("apps", "statefulsets");
    const sts = this.#api.peek(type, namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const fault = this.#api.faults.forObject(sts);
    const status = rec(sts.status);
    if (this.#stale(fault, status, sts)) return;
    const spec = rec(sts.spec);
    const replicas = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = shortHash(template, 10);
    const revision = `${name}-${hash}`;
    const rollout = this.#ready("statefulset", sts, hash);
    const podState = this.#podState(rollout.ready, fault);
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
    const pvcType = this.#type("", "persistentvolumeclaims");
    for (const tpl of arr(spec.volumeClaimTemplates).filter(isRec)) {
      for (let i = 0; i < replicas; i++) {
        const claim = `${str(rec(tpl.metadata).name)}-${name}-${i}`;
        if (this.#api.peek(pvcType, namespace, claim)) continue;
        this.#api.controllerCreate(pvcType, {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: claim, namespace, labels: { ...baseLabels } },
          spec: clone(rec(tpl.spec)),
        });
        this.#enqueue("pvc", namespace, claim);
      }
    }
    this.#syncPods(
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
    this.#api.writeStatus(
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

  #job(namespace: string, name: string): void {
    const type = this.#type("batch", "jobs");
    const job = this.#api.peek(type, namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = rec(job.spec);
    if (spec.suspend === true) return;
    const fault = this.#api.faults.forObject(job);
    const status = rec(job.status);
    if (
      arr(status.conditions).some((c) =>
        isRec(c) && (c.type === "Complete" || c.type === "Failed") && c.status === "True"
      )
    ) return;
    const template = rec(spec.template);
    const rollout = this.#ready("job", job, "run");
    const uid = job.metadata.uid ?? "";
    const labels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": name,
      "controller-uid": uid,
      "job-name": name,
    };
    const finished = rollout.ready && fault?.fault !== "never-ready";
    const failed = finished && fault?.fault === "job-failed";
    const podState: PodState = !rollout.ready
      ? (fault?.fault === "unschedulable" ? "unschedulable" : "ready")
      : fault?.fault === "never-ready" || fault?.fault === "crash-loop" ||
          fault?.fault === "image-pull-backoff"
      ? this.#podState(true, fault)
      : failed
      ? "failed"
      : "succeeded";
    const existing = this.#api.store.peekList("/pods", namespace).filter((p) => ownedBy(p, job));
    const podName = existing[0]?.metadata.name ?? `${name}-${randomSuffix(this.#random)}`;
    const hadPod = existing.length > 0;
    this.#syncPods(
      job,
      [{ name: podName, labels }],
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    if (!hadPod) {
      this.#event(job, "Normal", "SuccessfulCreate", `Created pod: ${podName}`, "job-controller");
    }
    const now = nowIso();
    const startTime = str(status.startTime, now);
    const completions = num(spec.completions, 1);
    const prev = status.conditions;
    if (failed) {
      this.#api.writeStatus(type, job, {
        startTime,
        failed: num(spec.backoffLimit, 6) + 1,
        terminating: 0,
        ready: 0,
        uncountedTerminatedPods: {},
        conditions: [
          condition(
            prev,
            "FailureTarget",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            { lastProbeTime: now },
          ),
          condition(
            prev,
            "Failed",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            { lastProbeTime: now },
          ),
        ],
      });
      this.#event(
        job,
        "Warning",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
        "job-controller",
      );
      return;
    }
    if (finished) {
      this.#api.writeStatus(type, job, {
        startTime,
        completionTime: now,
        succeeded: completions,
        terminating: 0,
        ready: 0,
        uncountedTerminatedPods: {},
        conditions: [
          condition(
            prev,
            "SuccessCriteriaMet",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            { lastProbeTime: now },
          ),
          condition(
            prev,
            "Complete",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            { lastProbeTime: now },
          ),
        ],
      });
      this.#event(job, "Normal", "Completed", "Job completed", "job-controller");
      return;
    }
    this.#api.writeStatus(type, job, {
      startTime,
      active: 1,
      terminating: 0,
      ready: podState === "ready" ? 1 : 0,
      uncountedTerminatedPods: {},
    });
  }

  #pod(namespace: string, name: string): void {
    const type = this.#type("", "pods");
    const pod = this.#api.peek(type, namespace, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    if ((pod.metadata.ownerReferences ?? []).some((r) => KIND_BY_OWNER[r.kind])) return;
    const phase = str(rec(pod.status).phase);
    if (phase === "Succeeded" || phase === "Failed") return;
    const fault = this.#api.faults.forObject(pod);
    if (!rec(pod.spec).nodeName && fault?.fault !== "unschedulable") {
      const node = this.#nodes()[0]?.metadata.name;
      if (node) {
        const next = clone(pod);
        (next.spec as Rec).nodeName = node;
        this.#api.writeObject(type, next);
        this.#event(
          pod,
          "Normal",
          "Scheduled",
          `Successfully assigned ${namespace}/${name} to ${node}`,
          "default-scheduler",
        );
      }
    }
    const rollout = this.#ready("pod", pod, "run");
    const current = this.#api.peek(type, namespace, name);
    if (current) this.#setPodState(current, this.#podState(rollout.ready, fault), fault);
  }

  #pvc(namespace: string, name: string): void {
    const type = this.#type("", "persistentvolumeclaims");
    const pvc = this.#api.peek(type, namespace, name);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const fault = this.#api.faults.forObject(pvc);
    if (str(rec(pvc.status).phase) === "Bound") return;
    if (fault?.fault === "never-bound") {
      this.#event(
        pvc,
        "Normal",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
        "persistentvolume-controller",
      );
      return;
    }
    const rollout = this.#ready("pvc", pvc, "bind");
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
    const written = this.#api.writeObject(type, next);
    if (!written) return;
    this.#api.writeStatus(type, written, {
      phase: "Bound",
      accessModes: spec.accessModes ?? ["ReadWriteOnce"],
      capacity: { storage: str(rec(rec(spec.resources).requests).storage, "1Gi") },
    });
  }

  #service(namespace: string, name: string): void {
    const type = this.#type("", "services");
    const svc = this.#api.peek(type, namespace, name);
    if (!svc || svc.metadata.deletionTimestamp) return;
    const spec = rec(svc.spec);
    const uid = svc.metadata.uid ?? "";
    if (spec.type !== "LoadBalancer") {
      if (Object.keys(rec(rec(svc.status).loadBalancer)).length > 0) {
        this.#api.writeStatus(type, svc, { ...rec(svc.status), loadBalancer: {} });
      }
      this.#lbAssigned.delete(uid);
      return;
    }
    const fault = this.#api.faults.forObject(svc);
    if (fault?.fault === "never-ready") return;
    const rollout = this.#ready("service", svc, "lb");
    if (!rollout.ready) return;
    let ip = this.#lbAssigned.get(uid);
    if (!ip) {
      const annotations = svc.metadata.annotations ?? {};
      const requested = str(spec.loadBalancerIP) ||
        (annotations["metallb.universe.tf/loadBalancerIPs"] ??
          annotations["metallb.io/loadBalancerIPs"] ??
          annotations["lbipam.cilium.io/ips"] ?? annotations["io.cilium/lb-ipam-ips"] ?? "").split(
            ",",
          )[0].trim();
      const pool = this.#options.loadBalancerIps;
      ip = requested || pool[this.#lbNext++ % Math.max(1, pool.length)] || "127.0.0.2";
      this.#lbAssigned.set(uid, ip);
    }
    this.#api.writeStatus(type, svc, {
      ...rec(svc.status),
      loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] },
    });
    if (!arr(rec(rec(svc.status).loadBalancer).ingress).length) {
      this.#event(svc, "Normal", "IPAllocated", `Assigned IP ["${ip}"]`, "service-controller");
    }
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

const KIND_BY_OWNER: Record<string, string> = {
  Deployment: "deployment",
  DaemonSet: "daemonset",
  StatefulSet: "statefulset",
  ReplicaSet: "replicaset",
  Job: "job",
};

function stripUndefined<T extends Rec>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
