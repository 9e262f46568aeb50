/**
 * PATCH in the simulated API: server-side apply (field managers, conflicts,
 * force) and merge, strategic-merge and JSON patches, on an object or its
 * status.
 *
 * @module
 */

import {
  apiVersionOf,
  clone,
  isRec,
  type KubeObject,
  nowIso,
  rec,
  StatusError,
} from "../object.ts";
import {
  conflictError,
  type FieldScope,
  jsonPatch,
  mergePatch,
  serverSideApply,
  strategicMergePatch,
} from "../patch/mod.ts";
import type { ResourceType } from "../resources.ts";
import { notFound, typeKey, type WriteContext, type Writer } from "./_writer.ts";

/** The supported patch content types. */
export type PatchType = "apply" | "merge" | "strategic" | "json";

/** PATCH, every content type. */
export class Patcher {
  #w: Writer;

  constructor(writer: Writer) {
    this.#w = writer;
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
    const ns = type.namespaced ? namespace : undefined;
    const old = this.#w.store.peek(typeKey(type), ns, name);
    const scope: FieldScope = ctx.subresource === "status"
      ? { statusOnly: true }
      : { ignoreStatus: type.status };
    const source = ctx.source ?? (ctx.subresource === "status" ? "status" : "api");
    if (patchType === "apply") {
      if (!ctx.manager) {
        throw new StatusError(
          400,
          "BadRequest",
          "PATCH, application/apply-patch+yaml requests must specify a fieldManager",
        );
      }
      const { obj: config } = this.#w.identity(type, namespace, rec(body), name);
      delete config.metadata.namespace;
      if (type.namespaced) config.metadata.namespace = namespace;
      if (old && !ctx.force) {
        const fault = this.#w.faults.forObject(old);
        if (fault?.fault === "apply-conflict") {
          throw conflictError([{
            manager: fault.manager ?? "sim-conflict",
            apiVersion: old.apiVersion,
            field: fault.field ?? ".spec",
          }]);
        }
      }
      if (!old) {
        if (ctx.subresource === "status") throw notFound(type, name);
        this.#w.checkNamespace(type, ns, true);
      }
      const merged = serverSideApply(old, config, {
        manager: ctx.manager,
        force: ctx.force ?? false,
        apiVersion: apiVersionOf(type.group, type.version),
        time: nowIso(),
        scope,
        subresource: ctx.subresource,
      }) as KubeObject;
      merged.apiVersion = apiVersionOf(type.group, type.version);
      merged.kind = type.kind;
      merged.metadata.name = name;
      const object = this.#w.commit(type, old, merged, { ...ctx, source }, scope, "apply");
      return { object, created: !old };
    }
    if (!old) throw notFound(type, name);
    let patched: unknown;
    if (patchType === "json") patched = jsonPatch(clone(old), body);
    else if (patchType === "strategic") patched = strategicMergePatch(old, body);
    else patched = mergePatch(old, body);
    if (!isRec(patched)) throw new StatusError(422, "Invalid", "the patch produced no object");
    const next = patched as KubeObject;
    next.metadata = isRec(next.metadata) ? next.metadata : {};
    if (next.metadata.name !== name) {
      throw new StatusError(422, "Invalid", "metadata.name: Invalid value: the name cannot change");
    }
    const precondition = rec(rec(body).metadata).resourceVersion;
    if (typeof precondition === "string" && precondition !== old.metadata.resourceVersion) {
      this.#w.checkVersion(type, old, { ...next, metadata: { resourceVersion: precondition } });
    }
    next.metadata.managedFields = old.metadata.managedFields;
    const object = this.#w.commit(type, old, next, { ...ctx, source }, scope, "update");
    return { object, created: false };
  }
}
