/**
 * Server-side `Table` answers (`Accept: …;as=Table;g=meta.k8s.io`), so a
 * person running plain `kubectl get pods` against the simulator sees the
 * usual columns (READY, STATUS, RESTARTS, …) instead of only NAME and AGE.
 *
 * @module
 */

import { arr, isRec, type KubeObject, num, type Rec, rec, str } from "./object.ts";
import type { ResourceType } from "./resources.ts";

/** True when the client asked for a Table. */
export function wantsTable(accept: string): boolean {
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Kubernetes' human duration ("45s", "3m20s", "5h", "12d"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(timestamp: unknown): string {
  const t = Date.parse(str(timestamp));
  return Number.isFinite(t) ? humanDuration(Date.now() - t) : "<unknown>";
}

interface Column {
  name: string;
  type?: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

const name: Column = { name: "Name", cell: (o) => o.metadata.name ?? "" };
const ageColumn: Column = { name: "Age", cell: (o) => age(o.metadata.creationTimestamp) };

function podStatus(o: KubeObject): string {
  const status = rec(o.status);
  if (o.metadata.deletionTimestamp) return "Terminating";
  let reason = str(status.reason) || str(status.phase, "Pending");
  const scheduled = arr(status.conditions).filter(isRec).find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && reason === "Pending") reason = "Pending";
  for (const cs of arr(status.containerStatuses).filter(isRec)) {
    const state = rec(cs.state);
    const waiting = rec(state.waiting);
    const terminated = rec(state.terminated);
    if (str(waiting.reason)) reason = str(waiting.reason);
    else if (str(terminated.reason) && reason !== "Completed") {
      reason = str(terminated.reason);
    }
  }
  return reason;
}

function ports(o: KubeObject): string {
  const out = arr(rec(o.spec).ports).filter(isRec).map((p) =>
    `${p.port}${p.nodePort !== undefined ? `:${p.nodePort}` : ""}/${str(p.protocol, "TCP")}`
  );
  return out.length ? out.join(",") : "<none>";
}

function externalIp(o: KubeObject): string {
  const spec = rec(o.spec);
  const ingress = arr(rec(rec(o.status).loadBalancer).ingress).filter(isRec)
    .map((i) => str(i.ip) || str(i.hostname));
  if (spec.type === "LoadBalancer") return ingress.length ? ingress.join(",") : "<pending>";
  const external = arr(spec.externalIPs).map(String);
  return external.length ? external.join(",") : "<none>";
}

function accessModes(modes: unknown): string {
  const short: Record<string, string> = {
    ReadWriteOnce: "RWO",
    ReadOnlyMany: "ROX",
    ReadWriteMany: "RWX",
    ReadWriteOncePod: "RWOP",
  };
  return arr(modes).map((m) => short[String(m)] ?? String(m)).join(",");
}

function condition(o: KubeObject, type: string): Rec | undefined {
  return arr(rec(o.status).conditions).filter(isRec).find((c) => c.type === type);
}

const COLUMNS: Record<string, Column[]> = {
  "/pods": [
    name,
    {
      name: "Ready",
      cell: (o) => {
        const cs = arr(rec(o.status).containerStatuses).filter(isRec);
        const total = arr(rec(o.spec).containers).length;
        return `${cs.filter((c) => c.ready === true).length}/${total}`;
      },
    },
    { name: "Status", cell: podStatus },
    {
      name: "Restarts",
      type: "integer",
      cell: (o) =>
        arr(rec(o.status).containerStatuses).filter(isRec).reduce(
          (n, c) => n + num(c.restartCount, 0),
          0,
        ),
    },
    ageColumn,
    { name: "IP", priority: 1, cell: (o) => str(rec(o.status).podIP, "<none>") },
    { name: "Node", priority: 1, cell: (o) => str(rec(o.spec).nodeName, "<none>") },
  ],
  "apps/deployments": [
    name,
    {
      name: "Ready",
      cell: (o) => `${num(rec(o.status).readyReplicas, 0)}/${num(rec(o.spec).replicas, 1)}`,
    },
    { name: "Up-to-date", type: "integer", cell: (o) => num(rec(o.status).updatedReplicas, 0) },
    { name: "Available", type: "integer", cell: (o) => num(rec(o.status).availableReplicas, 0) },
    ageColumn,
  ],
  "apps/daemonsets": [
    name,
    ...["desiredNumberScheduled", "currentNumberScheduled", "numberReady"].map((f, i) => ({
      name: ["Desired", "Current", "Ready"][i],
      type: "integer",
      cell: (o: KubeObject) => num(rec(o.status)[f], 0),
    })),
    {
      name: "Up-to-date",
      type: "integer",
      cell: (o) => num(rec(o.status).updatedNumberScheduled, 0),
    },
    { name: "Available", type: "integer", cell: (o) => num(rec(o.status).numberAvailable, 0) },
    {
      name: "Node Selector",
      cell: (o) => {
        const sel = rec(rec(rec(rec(o.spec).template).spec).nodeSelector);
        const text = Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(",");
        return text || "<none>";
      },
    },
    ageColumn,
  ],
  "apps/statefulsets": [
    name,
    {
      name: "Ready",
      cell: (o) => `${num(rec(o.status).readyReplicas, 0)}/${num(rec(o.spec).replicas, 1)}`,
    },
    ageColumn,
  ],
  "apps/replicasets": [
    name,
    { name: "Desired", type: "integer", cell: (o) => num(rec(o.spec).replicas, 1) },
    { name: "Current", type: "integer", cell: (o) => num(rec(o.status).replicas, 0) },
    { name: "Ready", type: "integer", cell: (o) => num(rec(o.status).readyReplicas, 0) },
    ageColumn,
  ],
  "/services": [
    name,
    { name: "Type", cell: (o) => str(rec(o.spec).type, "ClusterIP") },
    { name: "Cluster-IP", cell: (o) => str(rec(o.spec).clusterIP, "<none>") },
    { name: "External-IP", cell: externalIp },
    { name: "Port(s)", cell: ports },
    ageColumn,
  ],
  "/namespaces": [name, { name: "Status", cell: (o) => str(rec(o.status).phase) }, ageColumn],
  "/nodes": [
    name,
    {
      name: "Status",
      cell: (o) => (condition(o, "Ready")?.status === "True" ? "Ready" : "NotReady"),
    },
    {
      name: "Roles",
      cell: (o) => {
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith("node-role.kubernetes.io/"))
          .map((k) => k.slice("node-role.kubernetes.io/".length));
        return roles.length ? roles.join(",") : "<none>";
      },
    },
    ageColumn,
    { name: "Version", cell: (o) => str(rec(rec(o.status).nodeInfo).kubeletVersion) },
  ],
  "/events": [
    { name: "Last Seen", cell: (o) => age(o.lastTimestamp ?? o.metadata.creationTimestamp) },
    { name: "Type", cell: (o) => str(o.type) },
    { name: "Reason", cell: (o) => str(o.reason) },
    {
      name: "Object",
      cell: (o) => {
        const inv = rec(o.involvedObject);
        return `${str(inv.kind).toLowerCase()}/${str(inv.name)}`;
      },
    },
    { name: "Message", cell: (o) => str(o.message) },
  ],
  "batch/jobs": [
    name,
    {
      name: "Status",
      cell: (o) =>
        condition(o, "Complete")?.status === "True"
          ? "Complete"
          : condition(o, "Failed")?.status === "True"
          ? "Failed"
          : "Running",
    },
    {
      name: "Completions",
      cell: (o) => `${num(rec(o.status).succeeded, 0)}/${num(rec(o.spec).completions, 1)}`,
    },
    ageColumn,
  ],
  "/persistentvolumeclaims": [
    name,
    { name: "Status", cell: (o) => str(rec(o.status).phase) },
    { name: "Volume", cell: (o) => str(rec(o.spec).volumeName) },
    { name: "Capacity", cell: (o) => str(rec(rec(o.status).capacity).storage) },
    { name: "Access Modes", cell: (o) => accessModes(rec(o.status).accessModes) },
    { name: "StorageClass", cell: (o) => str(rec(o.spec).storageClassName) },
    ageColumn,
  ],
  "/configmaps": [
    name,
    { name: "Data", type: "integer", cell: (o) => Object.keys(rec(o.data)).length },
    ageColumn,
  ],
  "/secrets": [
    name,
    { name: "Type", cell: (o) => str(o.type) },
    { name: "Data", type: "integer", cell: (o) => Object.keys(rec(o.data)).length },
    ageColumn,
  ],
  "apiextensions.k8s.io/customresourcedefinitions": [
    name,
    { name: "Created At", cell: (o) => str(o.metadata.creationTimestamp) },
  ],
};

/** A `Table` of objects of one type. */
export function toTable(type: ResourceType, objects: KubeObject[], resourceVersion: string): Rec {
  const columns = COLUMNS[`${type.group}/${type.resource}`] ?? [name, ageColumn];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type ?? "string",
      format: c === name ? "name" : "",
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({ cells: columns.map((c) => c.cell(o)), object: o })),
  };
}
