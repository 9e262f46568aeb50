/**
 * Istio's ambient data plane as the simulator plays it, following the
 * namespaces' `istio.io/dataplane-mode=ambient` labels:
 *
 * - **istio-cni** marks each pod it captured with the annotation
 *   `ambient.istio.io/redirection: enabled`, once the `istio-cni-node`
 *   DaemonSet is ready, and removes it when the pod's namespace leaves
 *   ambient (or the pod opts out with `istio.io/dataplane-mode=none`).
 * - **ztunnel** knows every pod with an address: `protocol: HBONE` for a
 *   captured pod, `TCP` otherwise, and its waypoint when the pod's namespace
 *   (or the pod) carries `istio.io/use-waypoint`. Its admin `config_dump`
 *   and its metrics are served by `pod_endpoints.ts`.
 * - **Traffic** is not simulated by itself: nothing runs in the simulator.
 *   {@link AmbientModel.recordProductpageRequest} stands for one request to
 *   bookinfo's productpage: it counts one connection from productpage to
 *   details and one to reviews (through the waypoint when one is configured)
 *   in ztunnel's `istio_tcp_connections_opened_total`, with
 *   `connection_security_policy="mutual_tls"` only when both ends are
 *   captured. Tests call it from their productpage stand-in; `deno task sim`
 *   users can `POST /__sim/traffic/productpage?namespace=bookinfo`.
 *
 * Faults (`faults`) make a pod uncaptured by CNI, plaintext in ztunnel's view
 * or unknown to ztunnel, for tests that prove the checks fail.
 *
 * @module
 */

import type { Api } from "./api/mod.ts";
import { clone, type KubeObject, rec, str } from "./object.ts";

export const REDIRECTION_ANNOTATION = "ambient.istio.io/redirection";
const DATAPLANE_MODE = "istio.io/dataplane-mode";
const USE_WAYPOINT = "istio.io/use-waypoint";
const ISTIO_NAMESPACE = "istio-system";

/** Per-pod faults, keyed `namespace/podName`. */
export interface AmbientFaults {
  /** istio-cni never captures these pods (no annotation) */
  uncaptured: Set<string>;
  /** ztunnel lists these pods with `protocol: TCP` even when captured */
  plaintext: Set<string>;
  /** ztunnel does not know these pods */
  unknown: Set<string>;
}

/** One ztunnel workload, in config_dump's shape (the fields the checks read, and a few more). */
export interface ZtunnelWorkload {
  uid: string;
  workloadIps: string[];
  protocol: "HBONE" | "TCP";
  name: string;
  namespace: string;
  serviceAccount: string;
  workloadName: string;
  workloadType: string;
  canonicalName: string;
  node: string;
  status: "Healthy";
  clusterId: string;
  trustDomain: string;
  waypoint?: { destination: string; hboneMtlsPort: number };
}

interface Counter {
  reporter: "source" | "destination";
  node: string;
  source: ZtunnelWorkload;
  destination: ZtunnelWorkload;
  policy: "mutual_tls" | "unknown";
  value: number;
}

export class AmbientModel {
  readonly faults: AmbientFaults = {
    uncaptured: new Set(),
    plaintext: new Set(),
    unknown: new Set(),
  };
  readonly #api: Api;
  readonly #counters = new Map<string, Counter>();
  #unsubscribe: (() => void) | undefined;
  #queued = false;

  constructor(api: Api) {
    this.#api = api;
  }

  /** Starts following pods, namespaces and istio-cni's readiness. */
  start(): void {
    this.#unsubscribe ??= this.#api.store.subscribe((e) => {
      if (!["/pods", "/namespaces", "apps/daemonsets"].includes(e.gr)) return;
      this.#schedule();
    });
    this.#schedule();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Re-applies capture now (after a fault changed). */
  reconcile(): void {
    this.#reconcile();
  }

  #schedule(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      if (this.#unsubscribe) this.#reconcile();
    });
  }

  /** istio-cni-node is ready on every node it is scheduled on. */
  cniReady(): boolean {
    const ds = this.#api.store.peek("apps/daemonsets", ISTIO_NAMESPACE, "istio-cni-node");
    const st = rec(ds?.status);
    const desired = Number(st.desiredNumberScheduled ?? 0);
    return desired > 0 && Number(st.numberReady ?? 0) >= desired;
  }

  /** Should istio-cni capture this pod? */
  #enrolled(pod: KubeObject): boolean {
    const ns = pod.metadata.namespace ?? "";
    if (ns === ISTIO_NAMESPACE || ns === "kube-system") return false;
    if (pod.metadata.labels?.[DATAPLANE_MODE] === "none") return false;
    if (rec(pod.spec).hostNetwork === true) return false;
    const namespace = this.#api.store.peek("/namespaces", undefined, ns);
    return namespace?.metadata.labels?.[DATAPLANE_MODE] === "ambient";
  }

  #reconcile(): void {
    const ready = this.cniReady();
    const podType = this.#api.registry.find("", "v1", "pods");
    if (!podType) return;
    for (const pod of this.#api.store.peekList("/pods")) {
      if (pod.metadata.deletionTimestamp || !rec(pod.spec).nodeName) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const want = ready && this.#enrolled(pod) && !this.faults.uncaptured.has(key);
      const has = pod.metadata.annotations?.[REDIRECTION_ANNOTATION] === "enabled";
      if (want === has) continue;
      const next = clone(pod);
      const annotations = { ...(next.metadata.annotations ?? {}) };
      if (want) annotations[REDIRECTION_ANNOTATION] = "enabled";
      else delete annotations[REDIRECTION_ANNOTATION];
      next.metadata.annotations = annotations;
      this.#api.writeObject(podType, next);
    }
  }

  /** The workloads ztunnel knows (the same on every node: xDS sends them all). */
  workloads(): ZtunnelWorkload[] {
    const out: ZtunnelWorkload[] = [];
    for (const pod of this.#api.store.peekList("/pods")) {
      const w = this.#workload(pod);
      if (w) out.push(w);
    }
    return out;
  }

  #workload(pod: KubeObject): ZtunnelWorkload | undefined {
    const ip = str(rec(pod.status).podIP);
    const ns = pod.metadata.namespace ?? "default";
    const name = pod.metadata.name ?? "";
    const key = `${ns}/${name}`;
    if (!ip || pod.metadata.deletionTimestamp || this.faults.unknown.has(key)) return undefined;
    const labels = pod.metadata.labels ?? {};
    // a waypoint speaks HBONE itself; other pods only once istio-cni captured them
    const captured = pod.metadata.annotations?.[REDIRECTION_ANNOTATION] === "enabled" ||
      labels["gateway.istio.io/managed"] === "istio.io-mesh-controller";
    const owner = (pod.metadata.ownerReferences ?? [])[0];
    const { workloadName, workloadType } = owner?.kind === "ReplicaSet"
      ? { workloadName: owner.name.replace(/-[a-z0-9]+$/, ""), workloadType: "deployment" }
      : owner
      ? { workloadName: owner.name, workloadType: owner.kind.toLowerCase() }
      : { workloadName: name, workloadType: "pod" };
    const w: ZtunnelWorkload = {
      uid: `Kubernetes//Pod/${ns}/${name}`,
      workloadIps: [ip],
      protocol: captured && !this.faults.plaintext.has(key) ? "HBONE" : "TCP",
      name,
      namespace: ns,
      serviceAccount: str(rec(pod.spec).serviceAccountName, "default"),
      workloadName,
      workloadType,
      canonicalName: labels["service.istio.io/canonical-name"] ?? labels.app ?? workloadName,
      node: str(rec(pod.spec).nodeName),
      status: "Healthy",
      clusterId: "Kubernetes",
      trustDomain: "cluster.local",
    };
    const waypoint = this.#waypointFor(pod);
    if (waypoint && w.protocol === "HBONE") w.waypoint = waypoint;
    return w;
  }

  #serviceAddress(namespace: string, name: string): string | undefined {
    const svc = this.#api.store.peek("/services", namespace, name);
    return svc ? str(rec(svc.spec).clusterIP) || undefined : undefined;
  }

  #waypointFor(pod: KubeObject): ZtunnelWorkload["waypoint"] {
    const ns = pod.metadata.namespace ?? "default";
    const namespace = this.#api.store.peek("/namespaces", undefined, ns);
    const name = pod.metadata.labels?.[USE_WAYPOINT] ?? namespace?.metadata.labels?.[USE_WAYPOINT];
    if (!name || name === "none") return undefined;
    const svc = this.#api.store.peek("/services", ns, name);
    const address = str(rec(svc?.spec).clusterIP, name);
    return { destination: `${ns}/${address}`, hboneMtlsPort: 15008 };
  }

  /** ztunnel's `config_dump` on `node`. */
  configDump(node: string): Record<string, unknown> {
    return {
      workloads: this.workloads(),
      services: [],
      policies: [],
      certificates: [],
      config: { node, adminAddr: "localhost:15000", statsAddr: "[::]:15020" },
    };
  }

  /**
   * One request to productpage in `namespace` (default: wherever one runs): productpage's connections to
   * details and reviews (or to their waypoint, and the waypoint's to them).
   */
  recordProductpageRequest(namespace?: string): number {
    const all = this.workloads().filter((w) =>
      namespace === undefined || w.namespace === namespace
    );
    const byApp = (app: string): ZtunnelWorkload[] => all.filter((w) => w.canonicalName === app);
    let counted = 0;
    for (const source of byApp("productpage")) {
      const peers = [...byApp("details"), ...byApp("reviews")];
      for (const destination of peers.filter((d) => d.namespace === source.namespace)) {
        const waypoint = destination.waypoint
          ? this.workloads().find((w) =>
            `${w.namespace}/${w.workloadIps[0]}` === destination.waypoint?.destination ||
            (w.namespace === destination.namespace &&
              (destination.waypoint?.destination === `${w.namespace}/${w.workloadName}` ||
                destination.waypoint?.destination ===
                  `${w.namespace}/${this.#serviceAddress(w.namespace, w.workloadName)}`))
          )
          : undefined;
        const hops = waypoint ? [[source, waypoint], [waypoint, destination]] : [[
          source,
          destination,
        ]];
        for (const [from, to] of hops) {
          this.#count(from, to);
          counted++;
        }
      }
    }
    return counted;
  }

  #count(source: ZtunnelWorkload, destination: ZtunnelWorkload): void {
    const policy = source.protocol === "HBONE" && destination.protocol === "HBONE"
      ? "mutual_tls"
      : "unknown";
    for (
      const [reporter, node] of [["source", source.node], [
        "destination",
        destination.node,
      ]] as const
    ) {
      const key = [reporter, node, source.uid, destination.uid, policy].join("|");
      const c = this.#counters.get(key) ??
        { reporter, node, source, destination, policy, value: 0 };
      c.value++;
      this.#counters.set(key, c);
    }
  }

  /** ztunnel's Prometheus text on `node` (port 15020, `/stats/prometheus`). */
  metrics(node: string): string {
    const lines = [
      "# HELP istio_tcp_connections_opened The total number of TCP connections opened.",
      "# TYPE istio_tcp_connections_opened_total counter",
    ];
    for (const c of this.#counters.values()) {
      if (c.node !== node) continue;
      const labels = {
        reporter: c.reporter,
        source_workload: c.source.workloadName,
        source_workload_namespace: c.source.namespace,
        source_principal:
          `spiffe://cluster.local/ns/${c.source.namespace}/sa/${c.source.serviceAccount}`,
        destination_workload: c.destination.workloadName,
        destination_workload_namespace: c.destination.namespace,
        destination_service:
          `${c.destination.canonicalName}.${c.destination.namespace}.svc.cluster.local`,
        request_protocol: "tcp",
        connection_security_policy: c.policy,
      };
      const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",");
      lines.push(`istio_tcp_connections_opened_total{${text}} ${c.value}`);
    }
    lines.push("# EOF");
    return lines.join("\n") + "\n";
  }
}
