/**
 * API semantics over the store: create, update, status updates, patches
 * (server-side apply, merge, strategic, JSON), delete with finalizers,
 * namespace termination and ownerReference cascade, metadata bookkeeping
 * (uid, resourceVersion, generation, managedFields) and server defaults.
 *
 * The HTTP layer, the controllers and tests all write through this.
 *
 * @module
 */

import type { FaultSet } from "../faults.ts";
import type { KubeObject, Rec } from "../object.ts";
import type { Registry, ResourceType } from "../resources.ts";
import type { Selector } from "../selectors.ts";
import type { Store } from "../store.ts";
import { type WriteContext, Writer } from "./_writer.ts";
import { Crud } from "./crud.ts";
import { Deleter } from "./deletes.ts";
import { Patcher, type PatchType } from "./patches.ts";
import { StatusWriter } from "./status.ts";

export { notFound, typeKey, type WriteContext } from "./_writer.ts";
export type { PatchType } from "./patches.ts";

/** The API's write and read operations. */
export class Api {
  readonly store: Store;
  readonly registry: Registry;
  readonly faults: FaultSet;
  #crud: Crud;
  #patcher: Patcher;
  #deleter: Deleter;
  #status: StatusWriter;

  constructor(store: Store, registry: Registry, faults: FaultSet, random: () => number) {
    this.store = store;
    this.registry = registry;
    this.faults = faults;
    const writer = new Writer({
      store,
      registry,
      faults,
      random,
      remove: (type, obj, source, propagation) =>
        this.#deleter.remove(type, obj, source, propagation),
    });
    this.#crud = new Crud(writer);
    this.#patcher = new Patcher(writer);
    this.#deleter = new Deleter(writer);
    this.#status = new StatusWriter(writer);
  }

  /** The served type of an object (by apiVersion and kind), if any. */
  typeOf(obj: { apiVersion?: unknown; kind?: unknown }): ResourceType | undefined {
    return this.#crud.typeOf(obj);
  }

  /** The type for a kind name in a group (any version). */
  typeForKind(group: string, kind: string): ResourceType | undefined {
    return this.#crud.typeForKind(group, kind);
  }

  /** A copy of an object; throws 404. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.#crud.get(type, namespace, name);
  }

  /** The stored object or undefined (do not mutate). */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#crud.peek(type, namespace, name);
  }

  /** A list object with matching items. */
  list(type: ResourceType, namespace: string | undefined, selector: Selector): Rec {
    return this.#crud.list(type, namespace, selector);
  }

  /** POST: creates an object (201). Review kinds are answered without storing. */
  create(
    type: ResourceType,
    namespace: string | undefined,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    return this.#crud.create(type, namespace, body, ctx);
  }

  /** PUT: replaces an object (409 on a stale resourceVersion, unconditional without one). */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    return this.#crud.update(type, namespace, name, body, ctx);
  }

  /** PUT …/status: replaces the status only. */
  updateStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    return this.#status.updateStatus(type, namespace, name, body, ctx);
  }

  /** PUT namespaces/N/finalize: replaces `spec.finalizers` of a namespace. */
  finalizeNamespace(name: string, body: Rec, ctx: WriteContext = {}): KubeObject {
    return this.#status.finalizeNamespace(name, body, ctx);
  }

  /** PATCH (main resource or `status`). Returns the object and whether it was created. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    ctx: WriteContext & { force?: boolean; subresource?: "status" } = {},
  ): { object: KubeObject; created: boolean } {
    return this.#patcher.patch(type, namespace, name, patchType, body, ctx);
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
    return this.#deleter.delete(type, namespace, name, ctx);
  }

  /**
   * Creates or replaces an object as given, status included (for seeding):
   * the namespace is created if missing; defaults and metadata are filled in.
   */
  seed(body: Rec): KubeObject {
    return this.#crud.seed(body);
  }

  /**
   * Writes a controller's change to an object's status, only if it differs.
   * Returns the stored object (or the current one when nothing changed).
   */
  writeStatus(type: ResourceType, obj: KubeObject, status: Rec): KubeObject | undefined {
    return this.#status.writeStatus(type, obj, status);
  }

  /** Writes a controller's change to a whole object (spec or metadata). */
  writeObject(type: ResourceType, next: KubeObject): KubeObject | undefined {
    return this.#status.writeObject(type, next);
  }

  /** Creates an object on behalf of a controller (no managedFields); undefined if refused. */
  controllerCreate(type: ResourceType, body: KubeObject): KubeObject | undefined {
    return this.#status.controllerCreate(type, body);
  }

  /** Removes an object on behalf of a controller (honours finalizers, cascades). */
  controllerDelete(type: ResourceType, namespace: string | undefined, name: string): void {
    return this.#deleter.controllerDelete(type, namespace, name);
  }
}
