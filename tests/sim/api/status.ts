/**
 * Status and controller writes in the simulated API: PUT …/status, a
 * namespace's finalize, and the writes controllers make (status, whole
 * objects, creates) without managedFields.
 *
 * @module
 */

import { clone, deepEqual, type KubeObject, type Rec, rec } from "../object.ts";
import type { ResourceType } from "../resources.ts";
import { arr, notFound, typeKey, type WriteContext, type Writer } from "./_writer.ts";

/** Status writes and controllers' writes. */
export class StatusWriter {
  #w: Writer;

  constructor(writer: Writer) {
    this.#w = writer;
  }

  /** PUT …/status: replaces the status only. */
  updateStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    const { old, obj } = this.#w.replacing(type, namespace, name, body);
    return this.#w.commit(
      type,
      old,
      obj,
      { source: "status", ...ctx },
      { statusOnly: true },
      "update",
    );
  }

  /** PUT namespaces/N/finalize: replaces `spec.finalizers` of a namespace. */
  finalizeNamespace(name: string, body: Rec, ctx: WriteContext = {}): KubeObject {
    const type = this.#w.registry.find("", "v1", "namespaces")!;
    const old = this.#w.store.peek("/namespaces", undefined, name);
    if (!old) throw notFound(type, name);
    const next = clone(old);
    next.spec = { ...rec(old.spec), finalizers: arr(rec(body.spec).finalizers) };
    return this.#w.commit(type, old, next, { source: "controller", ...ctx }, {}, "update");
  }

  /**
   * Writes a controller's change to an object's status, only if it differs.
   * Returns the stored object (or the current one when nothing changed).
   */
  writeStatus(type: ResourceType, obj: KubeObject, status: Rec): KubeObject | undefined {
    const current = this.#w.store.peek(
      typeKey(type),
      obj.metadata.namespace,
      obj.metadata.name ?? "",
    );
    if (!current) return undefined;
    if (deepEqual(current.status, status)) return current;
    const next = clone(current);
    next.status = status;
    return this.#w.commit(
      type,
      current,
      next,
      { source: "controller" },
      { statusOnly: true },
      "update",
    );
  }

  /** Writes a controller's change to a whole object (spec or metadata). */
  writeObject(type: ResourceType, next: KubeObject): KubeObject | undefined {
    const current = this.#w.store.peek(
      typeKey(type),
      next.metadata.namespace,
      next.metadata.name ?? "",
    );
    if (!current) return undefined;
    if (
      deepEqual(current, {
        ...next,
        metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
      })
    ) {
      return current;
    }
    const copy = clone(next);
    if (type.status) copy.status = next.status;
    return this.#w.commit(type, current, copy, { source: "controller" }, {}, "update");
  }

  /** Creates an object on behalf of a controller (no managedFields); undefined if refused. */
  controllerCreate(type: ResourceType, body: KubeObject): KubeObject | undefined {
    try {
      const { obj, name } = this.#w.identity(type, body.metadata.namespace, body);
      this.#w.checkNamespace(type, obj.metadata.namespace, true);
      if (this.#w.store.peek(typeKey(type), obj.metadata.namespace, name)) return undefined;
      return this.#w.commit(type, undefined, obj, { source: "controller" }, {}, "update");
    } catch {
      return undefined;
    }
  }
}
