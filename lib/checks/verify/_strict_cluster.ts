/**
 * What `verify --strict` changes in the cluster, and how it puts it back.
 * Every object it creates carries the labels `app.kubernetes.io/managed-by:
 * meshup` and `meshup.dev/verify-strict: <role>`, so a run that was killed
 * is cleaned up by the next one:
 *
 * - `backup`: a ConfigMap in the bookinfo namespace holding the
 *   namespace-wide PeerAuthentications the user had, written before any of
 *   them is touched;
 * - `policy`: the PeerAuthentication `meshup-verify-strict` that replaces
 *   them while the test runs (PERMISSIVE, then STRICT);
 * - `client`: a temporary namespace outside the mesh and its curl Pods.
 *
 * {@link restoreStrict} deletes the policy and the client namespaces,
 * re-creates the user's PeerAuthentications from the backup and deletes the
 * backup last, so that whatever interrupts it, the next run can finish it.
 */
import type { KubeClient } from "../../kube/client.ts";
import type { Json } from "../../kube/kube.ts";
import { ApiError } from "../../kube/_http.ts";
import { CommandError } from "../../kube/retry.ts";

export const ROLE_LABEL = "meshup.dev/verify-strict";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "meshup" };
export const POLICY_NAME = "meshup-verify-strict";
export const BACKUP_NAME = "meshup-verify-strict-backup";
export const BACKUP_KEY = "peerauthentications.json";
export const PEER_AUTHENTICATION = {
  apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication",
};

/** A reference to one object. */
export interface Ref {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The writes and reads `verify --strict` needs; `clusterFromClient` serves them in process. */
export interface StrictCluster {
  list(
    kind: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string },
    signal: AbortSignal,
  ): Promise<Json[]>;
  get(ref: Ref, signal: AbortSignal): Promise<Json | undefined>;
  /** POST; an object that already exists is an error */
  create(obj: Json, signal: AbortSignal): Promise<Json>;
  /** server-side apply under meshup's field manager */
  apply(obj: Json, signal: AbortSignal): Promise<Json>;
  /** DELETE; an object already gone is fine */
  delete(ref: Ref, signal: AbortSignal): Promise<void>;
  /** the Pod once its phase is Succeeded or Failed; throws at the deadline with its last state */
  finishedPod(namespace: string, name: string, signal: AbortSignal): Promise<Json>;
}

/** The in-process client as a {@link StrictCluster}; `onCommand` shows each write as kubectl would do it. */
export function clusterFromClient(
  api: KubeClient,
  onCommand: (argv: string[]) => void = () => {},
): StrictCluster {
  const show = (verb: string, ref: Ref): void =>
    onCommand([
      "kubectl",
      verb,
      `${ref.kind.toLowerCase()}/${ref.name}`,
      ...(ref.namespace ? ["-n", ref.namespace] : []),
      "(in process)",
    ]);
  return {
    list: async (kind, signal) => (await api.list(kind, { signal })).items,
    get: (ref, signal) => api.get(ref, { signal }),
    create: (obj, signal) => {
      show("create", refOf(obj));
      return api.create(obj, { signal });
    },
    apply: (obj, signal) => {
      show("apply --server-side", refOf(obj));
      return api.apply(obj, { fieldManager: "meshup", force: true, signal });
    },
    delete: async (ref, signal) => {
      show("delete", ref);
      await api.delete(ref, { signal, propagationPolicy: "Background" });
    },
    finishedPod: (namespace, name, signal) =>
      podToEnd(
        (query, onObject, signal) =>
          api.watch(query, { signal, onEvent: (_type, obj) => onObject(obj as Json) }),
        {
          namespace,
          name,
          signal,
        },
      ),
  };
}

/** A watch of one kind, as the client or kubectl does it. */
export type PodWatch = (
  query: { apiVersion: string; kind: string; namespace: string; fieldSelector: string },
  onObject: (obj: Json) => void,
  signal: AbortSignal,
) => Promise<void>;

/** Follows one Pod until its phase is Succeeded or Failed; throws with its last state when `signal` ends it first. */
export async function podToEnd(
  watch: PodWatch,
  pod: { namespace: string; name: string; signal: AbortSignal },
): Promise<Json> {
  let last: Json | undefined;
  const stop = new AbortController();
  const ended = (p: Json | undefined): boolean => {
    const phase = (p?.status as Json | undefined)?.phase;
    return phase === "Succeeded" || phase === "Failed";
  };
  await watch({
    apiVersion: "v1",
    kind: "Pod",
    namespace: pod.namespace,
    fieldSelector: `metadata.name=${pod.name}`,
  }, (obj) => {
    if (refOf(obj).name !== pod.name) return;
    last = obj;
    if (ended(last)) stop.abort();
  }, AbortSignal.any([pod.signal, stop.signal]));
  if (last && ended(last)) return last;
  throw new Error(`pod ${pod.namespace}/${pod.name} did not finish: ${podState(last)}`);
}

/** One line on where a Pod is: its phase and its container's waiting reason. */
export function podState(pod: Json | undefined): string {
  if (!pod) return "it never appeared";
  const status = (pod.status ?? {}) as Json;
  const waiting = ((status.containerStatuses ?? []) as Json[])
    .map((c) => ((c.state as Json | undefined)?.waiting as Json | undefined)?.reason)
    .find((r) => typeof r === "string");
  return `phase ${String(status.phase ?? "Pending")}${waiting ? `, ${waiting}` : ""}`;
}

export function refOf(obj: Json): Ref {
  const meta = (obj.metadata ?? {}) as Json;
  return {
    apiVersion: String(obj.apiVersion),
    kind: String(obj.kind),
    ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}),
    name: String(meta.name),
  };
}

/** A PeerAuthentication that applies to a whole namespace (it has no workload selector). */
export function namespaceWide(pa: Json): boolean {
  return (pa.spec as Json | undefined)?.selector === undefined;
}

/** A create refused because the object exists: the API's 409, or kubectl's AlreadyExists. */
function alreadyExists(e: unknown): boolean {
  if (e instanceof ApiError) return e.status === 409;
  return e instanceof CommandError && /AlreadyExists|already exists/.test(e.stderr);
}

/** An object as the user wrote it: what the server added is left out, so it can be created again. */
export function userCopy(obj: Json): Json {
  const meta = (obj.metadata ?? {}) as Json;
  const kept: Json = { name: meta.name, namespace: meta.namespace };
  if (meta.labels) kept.labels = meta.labels;
  if (meta.annotations) kept.annotations = meta.annotations;
  const { status: _, metadata: __, ...rest } = obj;
  return { ...rest, metadata: kept };
}

/** The backup of the user's PeerAuthentications, marked ours. */
export function backupConfigMap(namespace: string, policies: readonly Json[]): Json {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: BACKUP_NAME,
      namespace,
      labels: { ...MANAGED_BY, [ROLE_LABEL]: "backup" },
      annotations: {
        "meshup.dev/restore":
          "verify --strict restores these PeerAuthentications and deletes this ConfigMap",
      },
    },
    data: { [BACKUP_KEY]: JSON.stringify(policies.map(userCopy), null, 2) },
  };
}

/** Our namespace-wide PeerAuthentication in `mode`. */
export function strictPolicy(namespace: string, mode: "PERMISSIVE" | "STRICT"): Json {
  return {
    ...PEER_AUTHENTICATION,
    metadata: {
      name: POLICY_NAME,
      namespace,
      labels: { ...MANAGED_BY, [ROLE_LABEL]: "policy" },
    },
    spec: { mtls: { mode } },
  };
}

/**
 * Puts back what a `verify --strict` run changed, whether it finished or
 * not: the client namespaces and our policy go, the user's
 * PeerAuthentications come back from the backup, then the backup goes.
 * Returns how many PeerAuthentications it restored; throws the first
 * error after trying every step.
 */
export async function restoreStrict(
  cluster: StrictCluster,
  namespace: string,
  signal: AbortSignal,
): Promise<number> {
  const errors: unknown[] = [];
  const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      errors.push(e);
      return undefined;
    }
  };
  const clients = await attempt(() =>
    cluster.list({
      apiVersion: "v1",
      kind: "Namespace",
      labelSelector: `${ROLE_LABEL}=client`,
    }, signal)
  ) ?? [];
  for (const ns of clients) await attempt(() => cluster.delete(refOf(ns), signal));
  await attempt(() =>
    cluster.delete({ ...PEER_AUTHENTICATION, namespace, name: POLICY_NAME }, signal)
  );
  const backupRef = { apiVersion: "v1", kind: "ConfigMap", namespace, name: BACKUP_NAME };
  const backup = await attempt(() => cluster.get(backupRef, signal));
  let restored = 0;
  if (backup) {
    const labels = ((backup.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
    if (labels[ROLE_LABEL] !== "backup") {
      throw new Error(
        `Cannot restore PeerAuthentications: ConfigMap ${namespace}/${BACKUP_NAME} is not ours ` +
          `(no label ${ROLE_LABEL}=backup)`,
      );
    }
    const text = String(((backup.data ?? {}) as Json)[BACKUP_KEY] ?? "[]");
    for (const pa of JSON.parse(text) as Json[]) {
      const done = await attempt(async () => {
        try {
          await cluster.create(pa, signal);
        } catch (e) {
          // it is there already (an earlier restore got this far)
          if (!alreadyExists(e)) throw e;
        }
        return true;
      });
      if (done) restored++;
    }
    if (errors.length === 0) await attempt(() => cluster.delete(backupRef, signal));
  }
  if (errors.length > 0) throw errors[0];
  return restored;
}
