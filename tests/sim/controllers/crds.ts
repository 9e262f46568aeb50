/**
 * CustomResourceDefinitions: Established (and their types served) after a
 * delay, NamesAccepted=False when names are missing.
 *
 * @module
 */

import { arr, isRec, type Rec, rec, shortHash, str } from "../object.ts";
import { compareVersions, type ResourceType } from "../resources.ts";
import type { ControllerContext } from "./_context.ts";
import { condition } from "./_objects.ts";

/** The CRD controller. */
export class CrdController {
  #ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** Schedules CRD `name` to become Established when its names or versions change. */
  crd(name: string): void {
    const crdType = this.#ctx.type("apiextensions.k8s.io", "customresourcedefinitions");
    const crd = this.#ctx.api.peek(crdType, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    const fault = this.#ctx.api.faults.forObject(crd);
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
    const state = this.#ctx.rollouts.get(key);
    if (!state || state.revision !== signature) {
      this.#ctx.rollouts.set(key, { revision: signature, ready: false, started: Date.now() });
      this.#ctx.scheduler.after(this.#ctx.delayFor(crd), () => this.#establish(name, signature), {
        key: `establish:${name}`,
        replace: true,
      });
    }
  }

  #establish(name: string, signature: string): void {
    const crdType = this.#ctx.type("apiextensions.k8s.io", "customresourcedefinitions");
    const crd = this.#ctx.api.peek(crdType, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    const state = this.#ctx.rollouts.get(`crd/${crd.metadata.uid}`);
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
      this.#ctx.api.writeStatus(crdType, crd, status);
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
    this.#ctx.api.registry.setCrdTypes(name, types);
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
    this.#ctx.api.writeStatus(crdType, crd, status);
  }
}
