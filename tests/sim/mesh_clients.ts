/**
 * Clients that reach a Service through the mesh, as the simulator decides
 * their result (nothing runs in the simulator, so a client Pod's outcome is
 * computed, not measured). A client is a bare Pod (no owner) whose first
 * container's image is curl and whose arguments name an
 * `http://<service>.<namespace>.svc.cluster.local[:port]/...` URL: `verify
 * --strict`'s positive and negative controls are such Pods.
 *
 * Once the controllers have the Pod Running, it terminates with curl's exit
 * code, decided from the namespaces' ambient labels and the
 * PeerAuthentications present:
 * - no such Service: exit 6 ("Could not resolve host");
 * - the Service's namespace is enrolled in ambient
 *   (`istio.io/dataplane-mode=ambient`), the client was not captured by
 *   istio-cni (it speaks plaintext) and the effective mTLS mode of the
 *   destination is STRICT: ztunnel refuses the plaintext connection, exit 56
 *   ("Recv failure: Connection reset by peer");
 * - otherwise: exit 0 (HTTP 200).
 *
 * The effective mode, as Istio resolves it for a namespace: its
 * namespace-wide PeerAuthentication (no `selector`; the oldest when there
 * are several), else the mesh-wide one in the root namespace
 * `istio-system`, else PERMISSIVE; mode `UNSET` inherits. Workload-selector
 * PeerAuthentications are not modelled.
 *
 * @module
 */

import type { Api } from "./api/mod.ts";
import { arr, isRec, type KubeObject, nowIso, rec, str } from "./object.ts";
import { REDIRECTION_ANNOTATION } from "./ambient.ts";

const ROOT_NAMESPACE = "istio-system";
const URL_PATTERN = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::\d+)?\//;

/** Follows client Pods and terminates them with their outcome. */
export class MeshClients {
  readonly #api: Api;
  #unsubscribe: (() => void) | undefined;

  constructor(api: Api) {
    this.#api = api;
  }

  start(): void {
    this.#unsubscribe ??= this.#api.store.subscribe((e) => {
      if (e.gr !== "/pods" || e.type === "DELETED") return;
      const target = clientTarget(e.object);
      if (!target || str(rec(e.object.status).phase) !== "Running") return;
      const { namespace, name } = e.object.metadata;
      queueMicrotask(() => this.#finish(namespace ?? "default", name ?? "", target));
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** STRICT, PERMISSIVE or DISABLE: the mTLS mode a namespace's workloads get. */
  effectiveMode(namespace: string): string {
    for (const ns of [namespace, ROOT_NAMESPACE]) {
      const wide = this.#api.store.peekList("security.istio.io/peerauthentications", ns)
        .filter((pa) => !pa.metadata.deletionTimestamp && !isRec(rec(pa.spec).selector))
        .sort((a, b) =>
          str(a.metadata.creationTimestamp).localeCompare(str(b.metadata.creationTimestamp))
        );
      const mode = str(rec(rec(wide[0]?.spec).mtls).mode, "UNSET");
      if (wide.length > 0 && mode !== "UNSET") return mode;
    }
    return "PERMISSIVE";
  }

  #finish(namespace: string, name: string, target: { service: string; namespace: string }): void {
    const pod = this.#api.store.peek("/pods", namespace, name);
    const type = this.#api.registry.find("", "v1", "pods");
    if (!pod || !type || str(rec(pod.status).phase) !== "Running") return;
    const exitCode = this.#outcome(pod, target);
    const now = nowIso();
    const container = rec(arr(rec(pod.spec).containers)[0]);
    const previous = rec(arr(rec(pod.status).containerStatuses)[0]);
    this.#api.writeStatus(type, pod, {
      ...rec(pod.status),
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: now },
        { type: "Initialized", status: "True", lastTransitionTime: now },
        { type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: now },
        {
          type: "ContainersReady",
          status: "False",
          reason: "PodCompleted",
          lastTransitionTime: now,
        },
      ],
      containerStatuses: [{
        ...previous,
        name: str(container.name, "curl"),
        image: str(container.image),
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? "Completed" : "Error",
            startedAt: now,
            finishedAt: now,
          },
        },
      }],
    });
  }

  /** curl's exit code for this client. */
  #outcome(pod: KubeObject, target: { service: string; namespace: string }): number {
    if (!this.#api.store.peek("/services", target.namespace, target.service)) return 6;
    const destination = this.#api.store.peek("/namespaces", undefined, target.namespace);
    const ambient = destination?.metadata.labels?.["istio.io/dataplane-mode"] === "ambient";
    const plaintext = pod.metadata.annotations?.[REDIRECTION_ANNOTATION] !== "enabled";
    if (ambient && plaintext && this.effectiveMode(target.namespace) === "STRICT") return 56;
    return 0;
  }
}

/** The Service a client Pod calls, or undefined when the Pod is not such a client. */
export function clientTarget(pod: KubeObject): { service: string; namespace: string } | undefined {
  if ((pod.metadata.ownerReferences ?? []).length > 0) return undefined;
  const container = rec(arr(rec(pod.spec).containers)[0]);
  if (!/(^|\/)curl[:@]/.test(`${str(container.image)}:`)) return undefined;
  const words = [...arr(container.command), ...arr(container.args)].map(String);
  for (const word of words) {
    const m = URL_PATTERN.exec(word);
    if (m) return { service: m[1], namespace: m[2] };
  }
  return undefined;
}
