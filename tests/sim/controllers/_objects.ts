/**
 * Object helpers the simulated controllers share: owner references,
 * conditions (transition times kept while the status holds), and the kinds
 * that own pods.
 *
 * @module
 */

import { arr, isRec, type KubeObject, nowIso, type OwnerReference, type Rec } from "../object.ts";

/** A controller owner reference to `obj`. */
export function ownerRef(obj: KubeObject): OwnerReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name ?? "",
    uid: obj.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `owner` owns `obj`. */
export function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

/** A condition of `type`; its transition time is kept while its status holds. */
export function condition(
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

/** Owner kinds whose pods (and replica sets) their controllers manage. */
export const KIND_BY_OWNER: Record<string, string> = {
  Deployment: "deployment",
  DaemonSet: "daemonset",
  StatefulSet: "statefulset",
  ReplicaSet: "replicaset",
  Job: "job",
};

/** `value` without its undefined fields (a JSON round trip). */
export function stripUndefined<T extends Rec>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
