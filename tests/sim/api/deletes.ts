/**
 * DELETE in the simulated API: objects with finalizers (and namespaces) get a
 * deletionTimestamp and wait for them; others are removed at once, with
 * their dependents (ownerReference cascade) unless `Orphan`; a CRD takes its
 * custom resources and types with it.
 *
 * @module
 */

import { clone, type KubeObject, nowIso, rec } from "../object.ts";
import type { ResourceType } from "../resources.ts";
import { grKey, type WriteSource } from "../store.ts";
import { notFound, typeKey, type WriteContext, type Writer } from "./_writer.ts";

/** DELETE, finalisation and cascade. */
export class Deleter {
  #w: Writer;

  constructor(writer: Writer) {
    this.#w = writer;
  }

  /**
   * DELETE: objects with finalizers (and namespaces) get a deletionTimestamp;
   * others are removed at once, with their dependents unless `Orphan`.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    ctx: WriteContext & { propagationPolicy?: string } = {},
  ): KubeObject {
    const ns = type.namespaced ? namespace : undefined;
    const old = this.#w.store.peek(typeKey(type), ns, name);
    if (!old) throw notFound(type, name);
    const source = ctx.source ?? "api";
    const isNamespace = type.resource === "namespaces" && !type.group;
    if (isNamespace || (old.metadata.finalizers ?? []).length > 0) {
      if (old.metadata.deletionTimestamp) return this.#w.as(type, old);
      const next = clone(old);
      next.metadata.deletionTimestamp = nowIso();
      if (isNamespace) next.status = { ...rec(next.status), phase: "Terminating" };
      if (ctx.dryRun) return this.#w.as(type, next);
      const stored = this.#w.store.write(typeKey(type), next, source);
      return this.#w.as(type, stored);
    }
    if (ctx.dryRun) return this.#w.as(type, old);
    const gone = this.remove(type, old, source, ctx.propagationPolicy ?? "Background");
    return this.#w.as(type, gone);
  }

  /** Removes `obj` for good: its custom resources if a CRD, its dependents unless `Orphan`. */
  remove(
    type: ResourceType,
    obj: KubeObject,
    source: WriteSource,
    propagation: string,
  ): KubeObject {
    const gone = this.#w.store.remove(
      typeKey(type),
      obj.metadata.namespace,
      obj.metadata.name ?? "",
      source,
    ) ??
      obj;
    if (type.group === "apiextensions.k8s.io" && type.resource === "customresourcedefinitions") {
      this.#removeCrd(obj);
    }
    if (propagation !== "Orphan") this.#cascade(obj.metadata.uid ?? "", source);
    return gone;
  }

  #removeCrd(crd: KubeObject): void {
    const spec = rec(crd.spec);
    const group = String(spec.group ?? "");
    const plural = String(rec(spec.names).plural ?? "");
    for (const cr of this.#w.store.peekList(grKey(group, plural))) {
      this.#w.store.remove(
        grKey(group, plural),
        cr.metadata.namespace,
        cr.metadata.name ?? "",
        "controller",
      );
    }
    this.#w.registry.removeCrdTypes(crd.metadata.name ?? "");
  }

  #cascade(uid: string, source: WriteSource): void {
    if (!uid) return;
    for (const gr of this.#w.store.groupResources()) {
      for (const dep of this.#w.store.peekList(gr)) {
        if (!(dep.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
        const [group, resource] = [gr.slice(0, gr.indexOf("/")), gr.slice(gr.indexOf("/") + 1)];
        const depType = this.#w.registry.findAnyVersion(group, resource);
        if (!depType) {
          this.#w.store.remove(gr, dep.metadata.namespace, dep.metadata.name ?? "", source);
          continue;
        }
        try {
          this.delete(depType, dep.metadata.namespace, dep.metadata.name ?? "", {
            source: source === "api" ? "controller" : source,
          });
        } catch {
          // already gone
        }
      }
    }
  }

  /** Removes an object on behalf of a controller (honours finalizers, cascades). */
  controllerDelete(type: ResourceType, namespace: string | undefined, name: string): void {
    try {
      this.delete(type, namespace, name, { source: "controller" });
    } catch {
      // gone already
    }
  }
}
