/**
 * Maps apiVersion + kind to a REST resource through discovery
 * (`GET /api/v1`, `GET /apis/G/V`), fetched lazily per group-version and
 * cached; a kind missing from the cache is looked up once more (a CRD may
 * just have been installed), concurrent misses sharing one fetch.
 *
 * @module
 */

/** One served resource type. */
export interface ResourceInfo {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  /** the plural resource name used in paths */
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

/** A kind the server does not serve (its group-version or its kind is unknown). */
export class UnknownKindError extends Error {
  readonly apiVersion: string;
  readonly kind: string;

  constructor(apiVersion: string, kind: string, server: string) {
    super(
      `Cannot map kind "${kind}" in "${apiVersion}": ${server} has no such type\n` +
        `hint: ensure its CRD is installed and Established (\`kubectl api-resources --api-group=${
          apiVersion.includes("/") ? apiVersion.split("/")[0] : '""'
        }\`)`,
    );
    this.name = "UnknownKindError";
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

/** GETs a discovery document; undefined when the server answers 404. */
export type DiscoveryFetch = (
  path: string,
  signal?: AbortSignal,
) => Promise<Record<string, unknown> | undefined>;

type Kinds = Map<string, ResourceInfo>;

/** The apiVersion's group and version ("v1" is the core group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const at = apiVersion.indexOf("/");
  return at < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, at), version: apiVersion.slice(at + 1) };
}

/** The discovery path of a group-version. */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

/**
 * Kinds every supported Kubernetes (>= 1.22) serves the same way: mapped
 * without a discovery round trip, which would otherwise hold up a run's
 * first reads. Anything else is discovered.
 */
const BUILT_IN: readonly [string, string, string, boolean][] = [
  ["v1", "Namespace", "namespaces", false],
  ["v1", "Node", "nodes", false],
  ["v1", "Secret", "secrets", true],
  ["v1", "ConfigMap", "configmaps", true],
  ["v1", "Service", "services", true],
  ["v1", "ServiceAccount", "serviceaccounts", true],
  ["v1", "Pod", "pods", true],
  ["v1", "Event", "events", true],
  ["apps/v1", "Deployment", "deployments", true],
  ["apps/v1", "DaemonSet", "daemonsets", true],
  ["apps/v1", "StatefulSet", "statefulsets", true],
  ["apps/v1", "ReplicaSet", "replicasets", true],
  ["batch/v1", "Job", "jobs", true],
  ["networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", true],
  ["apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false],
];

const BUILT_IN_INFO = new Map(
  BUILT_IN.map(([apiVersion, kind, plural, namespaced]) => {
    const { group, version } = splitApiVersion(apiVersion);
    const info: ResourceInfo = {
      apiVersion,
      group,
      version,
      kind,
      plural,
      namespaced,
      verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    };
    return [`${apiVersion}|${kind}`, info];
  }),
);

/** A per-client discovery cache. */
export class Discovery {
  readonly #fetch: DiscoveryFetch;
  readonly #cache = new Map<string, Promise<Kinds>>();
  /** group-versions fetched, for tests and diagnostics */
  fetches = 0;

  constructor(fetch: DiscoveryFetch) {
    this.#fetch = fetch;
  }

  /** The resource for a kind, or undefined when the server does not serve it (after one refresh). */
  async find(
    apiVersion: string,
    kind: string,
    signal?: AbortSignal,
  ): Promise<ResourceInfo | undefined> {
    const builtIn = BUILT_IN_INFO.get(`${apiVersion}|${kind}`);
    if (builtIn) return builtIn;
    const first = this.#load(apiVersion, undefined, signal);
    const hit = (await first).get(kind);
    if (hit) return hit;
    return (await this.#load(apiVersion, first, signal)).get(kind);
  }

  /** Forgets one group-version, or everything. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.#cache.clear();
    else this.#cache.delete(apiVersion);
  }

  /** The cached entry, or a fresh fetch when there is none or when `stale` is still cached. */
  #load(
    apiVersion: string,
    stale: Promise<Kinds> | undefined,
    signal?: AbortSignal,
  ): Promise<Kinds> {
    const current = this.#cache.get(apiVersion);
    if (current && current !== stale) return current;
    this.fetches++;
    const fresh = this.#fetch(groupVersionPath(apiVersion), signal)
      .then((doc) => parseResourceList(apiVersion, doc));
    this.#cache.set(apiVersion, fresh);
    fresh.catch(() => {
      if (this.#cache.get(apiVersion) === fresh) this.#cache.delete(apiVersion);
    });
    return fresh;
  }
}

function parseResourceList(apiVersion: string, doc: Record<string, unknown> | undefined): Kinds {
  const kinds: Kinds = new Map();
  const resources = doc?.resources;
  if (!Array.isArray(resources)) return kinds;
  const { group, version } = splitApiVersion(apiVersion);
  for (const r of resources as Record<string, unknown>[]) {
    const name = typeof r?.name === "string" ? r.name : "";
    if (!name || name.includes("/") || typeof r.kind !== "string") continue;
    if (kinds.has(r.kind)) continue;
    kinds.set(r.kind, {
      apiVersion,
      group,
      version,
      kind: r.kind,
      plural: name,
      namespaced: r.namespaced === true,
      verbs: Array.isArray(r.verbs) ? r.verbs.map(String) : [],
    });
  }
  return kinds;
}
