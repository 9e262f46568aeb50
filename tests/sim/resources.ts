/**
 * The registry of resource types the simulator serves: built-in kinds plus
 * the ones CustomResourceDefinitions add once Established.
 *
 * @module
 */

/** One served resource type at one group-version. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Has a `status` subresource (status is ignored on the main resource). */
  status: boolean;
  /** Gets `metadata.generation`, bumped on every spec change. */
  generation: boolean;
  /** The CRD that defines it, for custom resources. */
  crd?: string;
}

const ALL_VERBS = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

interface Spec {
  r: string;
  k: string;
  ns: boolean;
  short?: string[];
  cat?: string[];
  status?: boolean;
  gen?: boolean;
  verbs?: string[];
}

function group(group: string, version: string, specs: Spec[], gen: boolean): ResourceType[] {
  return specs.map((s) => ({
    group,
    version,
    resource: s.r,
    kind: s.k,
    singular: s.k.toLowerCase(),
    namespaced: s.ns,
    shortNames: s.short,
    categories: s.cat,
    verbs: s.verbs ?? ALL_VERBS,
    status: s.status ?? false,
    generation: s.gen ?? gen,
  }));
}

const ALL = ["all"];

/** The built-in resource types. */
export function builtinTypes(): ResourceType[] {
  return [
    ...group("", "v1", [
      { r: "namespaces", k: "Namespace", ns: false, short: ["ns"], status: true },
      { r: "secrets", k: "Secret", ns: true },
      { r: "configmaps", k: "ConfigMap", ns: true, short: ["cm"] },
      { r: "services", k: "Service", ns: true, short: ["svc"], cat: ALL, status: true },
      { r: "pods", k: "Pod", ns: true, short: ["po"], cat: ALL, status: true },
      { r: "events", k: "Event", ns: true, short: ["ev"] },
      { r: "serviceaccounts", k: "ServiceAccount", ns: true, short: ["sa"] },
      { r: "nodes", k: "Node", ns: false, short: ["no"], status: true },
      {
        r: "persistentvolumeclaims",
        k: "PersistentVolumeClaim",
        ns: true,
        short: ["pvc"],
        status: true,
      },
      { r: "persistentvolumes", k: "PersistentVolume", ns: false, short: ["pv"], status: true },
      { r: "endpoints", k: "Endpoints", ns: true, short: ["ep"] },
      { r: "resourcequotas", k: "ResourceQuota", ns: true, short: ["quota"], status: true },
      { r: "limitranges", k: "LimitRange", ns: true, short: ["limits"] },
    ], false),
    ...group("apps", "v1", [
      { r: "deployments", k: "Deployment", ns: true, short: ["deploy"], cat: ALL, status: true },
      { r: "daemonsets", k: "DaemonSet", ns: true, short: ["ds"], cat: ALL, status: true },
      { r: "statefulsets", k: "StatefulSet", ns: true, short: ["sts"], cat: ALL, status: true },
      { r: "replicasets", k: "ReplicaSet", ns: true, short: ["rs"], cat: ALL, status: true },
      { r: "controllerrevisions", k: "ControllerRevision", ns: true },
    ], true),
    ...group("batch", "v1", [
      { r: "jobs", k: "Job", ns: true, cat: ALL, status: true },
      { r: "cronjobs", k: "CronJob", ns: true, short: ["cj"], cat: ALL, status: true },
    ], true),
    ...group("apiextensions.k8s.io", "v1", [
      {
        r: "customresourcedefinitions",
        k: "CustomResourceDefinition",
        ns: false,
        short: ["crd", "crds"],
        status: true,
      },
    ], true),
    ...group("rbac.authorization.k8s.io", "v1", [
      { r: "roles", k: "Role", ns: true },
      { r: "rolebindings", k: "RoleBinding", ns: true },
      { r: "clusterroles", k: "ClusterRole", ns: false },
      { r: "clusterrolebindings", k: "ClusterRoleBinding", ns: false },
    ], false),
    ...group("admissionregistration.k8s.io", "v1", [
      { r: "mutatingwebhookconfigurations", k: "MutatingWebhookConfiguration", ns: false },
      { r: "validatingwebhookconfigurations", k: "ValidatingWebhookConfiguration", ns: false },
      {
        r: "validatingadmissionpolicies",
        k: "ValidatingAdmissionPolicy",
        ns: false,
        status: true,
      },
      { r: "validatingadmissionpolicybindings", k: "ValidatingAdmissionPolicyBinding", ns: false },
    ], true),
    ...group("networking.k8s.io", "v1", [
      { r: "networkpolicies", k: "NetworkPolicy", ns: true, short: ["netpol"] },
      { r: "ingresses", k: "Ingress", ns: true, short: ["ing"], status: true },
      { r: "ingressclasses", k: "IngressClass", ns: false },
    ], true),
    ...group("policy", "v1", [
      {
        r: "poddisruptionbudgets",
        k: "PodDisruptionBudget",
        ns: true,
        short: ["pdb"],
        status: true,
      },
    ], true),
    ...group("autoscaling", "v2", [
      {
        r: "horizontalpodautoscalers",
        k: "HorizontalPodAutoscaler",
        ns: true,
        short: ["hpa"],
        cat: ALL,
        status: true,
      },
    ], true),
    ...group("authorization.k8s.io", "v1", [
      { r: "selfsubjectaccessreviews", k: "SelfSubjectAccessReview", ns: false, verbs: ["create"] },
      { r: "selfsubjectrulesreviews", k: "SelfSubjectRulesReview", ns: false, verbs: ["create"] },
      { r: "subjectaccessreviews", k: "SubjectAccessReview", ns: false, verbs: ["create"] },
    ], false),
    ...group("coordination.k8s.io", "v1", [
      { r: "leases", k: "Lease", ns: true },
    ], false),
    ...group("storage.k8s.io", "v1", [
      { r: "storageclasses", k: "StorageClass", ns: false, short: ["sc"] },
    ], false),
    ...group("discovery.k8s.io", "v1", [
      { r: "endpointslices", k: "EndpointSlice", ns: true },
    ], false),
    ...group("scheduling.k8s.io", "v1", [
      { r: "priorityclasses", k: "PriorityClass", ns: false, short: ["pc"] },
    ], false),
  ];
}

/** Kinds whose POST is answered without storing anything. */
export const REVIEW_RESOURCES = new Set([
  "authorization.k8s.io/selfsubjectaccessreviews",
  "authorization.k8s.io/selfsubjectrulesreviews",
  "authorization.k8s.io/subjectaccessreviews",
]);

/** Orders versions like Kubernetes does: GA > beta > alpha, then by number. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const level = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [la, ma, na] = rank(a);
  const [lb, mb, nb] = rank(b);
  if (la !== lb) return lb - la;
  if (ma !== mb) return mb - ma;
  if (na !== nb) return nb - na;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The set of served types, indexed for routing and discovery. */
export class Registry {
  #types: ResourceType[] = [];

  constructor(types: ResourceType[]) {
    this.#types = [...types];
  }

  /** Every served type. */
  all(): ResourceType[] {
    return [...this.#types];
  }

  /** The type served at group/version/resource, if any. */
  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#types.find((t) =>
      t.group === group && t.version === version && t.resource === resource
    );
  }

  /** Any served version of group/resource (storage is shared across versions). */
  findAnyVersion(group: string, resource: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.resource === resource);
  }

  /** The type for an apiVersion + kind. */
  findKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /** Any version of group + kind. */
  findKindAnyVersion(group: string, kind: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.kind === kind);
  }

  /** Groups with their versions, preferred first. */
  groups(): { name: string; versions: string[] }[] {
    const map = new Map<string, Set<string>>();
    for (const t of this.#types) {
      if (!map.has(t.group)) map.set(t.group, new Set());
      map.get(t.group)!.add(t.version);
    }
    return [...map.entries()].map(([name, versions]) => ({
      name,
      versions: [...versions].sort(compareVersions),
    }));
  }

  /** Types served at one group-version. */
  forGroupVersion(group: string, version: string): ResourceType[] {
    return this.#types.filter((t) => t.group === group && t.version === version);
  }

  /** Replaces the types defined by one CRD. */
  setCrdTypes(crdName: string, types: ResourceType[]): void {
    this.#types = this.#types.filter((t) => t.crd !== crdName);
    for (const t of types) {
      if (this.find(t.group, t.version, t.resource)) continue;
      this.#types.push({ ...t, crd: crdName });
    }
  }

  /** Removes the types a CRD defined. */
  removeCrdTypes(crdName: string): void {
    this.#types = this.#types.filter((t) => t.crd !== crdName);
  }
}
