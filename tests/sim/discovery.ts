/**
 * Discovery documents: legacy (`/api`, `/apis`, `/api/v1`, `/apis/G/V`) and,
 * when enabled, aggregated v2 (`APIGroupDiscoveryList`).
 *
 * @module
 */

import { apiVersionOf, type Rec } from "./object.ts";
import type { Registry, ResourceType } from "./resources.ts";

/** The content type of an aggregated discovery answer. */
export const AGGREGATED_CONTENT_TYPE =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** `GET /api`. */
export function apiVersions(serverAddress: string): Rec {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): Rec {
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: apiVersionOf(name, v), version: v })),
    preferredVersion: { groupVersion: apiVersionOf(name, versions[0]), version: versions[0] },
  };
}

/** `GET /apis`. */
export function apiGroupList(registry: Registry): Rec {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: registry.groups().filter((g) => g.name !== "").map((g) =>
      groupEntry(g.name, g.versions)
    ),
  };
}

/** `GET /apis/G`, or undefined if the group is not served. */
export function apiGroup(registry: Registry, name: string): Rec | undefined {
  const group = registry.groups().find((g) => g.name === name && name !== "");
  return group
    ? { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group.name, group.versions) }
    : undefined;
}

function resourceEntries(t: ResourceType): Rec[] {
  const main: Rec = {
    name: t.resource,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
  };
  if (t.shortNames?.length) main.shortNames = t.shortNames;
  if (t.categories?.length) main.categories = t.categories;
  const out = [main];
  if (t.status) {
    out.push({
      name: `${t.resource}/status`,
      singularName: "",
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ["get", "patch", "update"],
    });
  }
  return out;
}

/** `GET /api/v1` or `/apis/G/V`, or undefined if not served. */
export function apiResourceList(
  registry: Registry,
  group: string,
  version: string,
): Rec | undefined {
  const types = registry.forGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf(group, version),
    resources: types.flatMap(resourceEntries),
  };
}

function aggregatedResource(t: ResourceType): Rec {
  const entry: Rec = {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? "Namespaced" : "Cluster",
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames?.length) entry.shortNames = t.shortNames;
  if (t.categories?.length) entry.categories = t.categories;
  if (t.status) {
    entry.subresources = [{
      subresource: "status",
      responseKind: { group: t.group, version: t.version, kind: t.kind },
      verbs: ["get", "patch", "update"],
    }];
  }
  return entry;
}

/** Aggregated discovery for `/api` (core only) or `/apis` (every other group). */
export function aggregatedDiscovery(registry: Registry, core: boolean): Rec {
  const groups = registry.groups().filter((g) => (g.name === "") === core);
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry.forGroupVersion(g.name, v).map(aggregatedResource),
        freshness: "Current",
      })),
    })),
  };
}
