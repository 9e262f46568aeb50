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

import { Defaulter } from "./defaults.ts";
import type { FaultSet } from "./faults.ts";
import {
  apiVersionOf,
  clone,
  deepEqual,
  isRec,
  type KubeObject,
  nowIso,
  randomSuffix,
  type Rec,
  rec,
  splitApiVersion,
  StatusError,
  utf8Base64,
} from "./object.ts";
import {
  conflictError,
  type FieldScope,
  jsonPatch,
  mergePatch,
  recordUpdate,
  serverSideApply,
  strategicMergePatch,
} from "./patch.ts";
import { type Registry, type ResourceType, REVIEW_RESOURCES } from "./resources.ts";
import type { Selector } from "./selectors.ts";
import { grKey, type Store, type WriteSource } from "./store.ts";

/** Who writes, and how. */
export interface WriteContext {
  /** Field manager (`?fieldManager=`). */
  manager?: string;
  /** The client's User-Agent, for a default field manager. */
  userAgent?: string;
  /** Default "api". Controllers use "controller" and record no managedFields. */
  source?: WriteSource;
  /** Compute the result without storing it. */
  dryRun?: boolean;
}

/** The supported patch content types. */
export type PatchType = "apply" | "merge" | "strategic" | "json";

/** Storage key of a type. */
export function typeKey(type: ResourceType): string {
  return grKey(type.group, type.resource);
}

function qualified(type: ResourceType): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

/** A 404 for an object. */
export function notFound(type: ResourceType, name: string): StatusError {
  return new StatusError(404, "NotFound", `${qualified(type)} "${name}" not found`, {
    name,
    group: type.group,
    kind: type.resource,
  });
}

function specOf(obj: KubeObject): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== "metadata" && k !== "status" && k !== "apiVersion" && k !== "kind") out[k] = v;
  }
  return out;
}

function defaultManager(userAgent: string | undefined): string {
  const first = (userAgent ?? "").split("/")[0].trim();
  return first || "unknown";
}

/** The API's write and read operations. */
export class Api {
  readonly store: Store;
  readonly registry: Registry;
  readonly faults: FaultSet;
  #defaulter = new Defaulter((type) => this.#crdSchema(type));
  #random: () => number;

  constructor(store: Store, registry: Registry, faults: FaultSet, random: () => number) {
    this.store = store;
    this.registry = registry;
    this.faults = faults;
    this.#random = random;
  }

  /** The `openAPIV3Schema` of a custom resource's version, from its CRD. */
  #crdSchema(type: ResourceType): Rec | undefined {
    if (!type.crd) return undefined;
    const crd = this.store.peek(
      "apiextensions.k8s.io/customresourcedefinitions",
      undefined,
      type.crd,
    );
    const version = arr(rec(crd?.spec).versions).filter(isRec).find((v) => v.name === type.version);
    const schema = rec(rec(version?.schema).openAPIV3Schema);
    return Object.keys(schema).length > 0 ? schema : undefined;
  }

  /** The served type of an object (by apiVersion and kind), if any. */
  typeOf(obj: { apiVersion?: unknown; kind?: unknown }): ResourceType | undefined {
    const { group, version } = splitApiVersion(String(obj.apiVersion ?? ""));
    return this.registry.findKind(group, version, String(obj.kind ?? "")) ??
      this.registry.findKindAnyVersion(group, String(obj.kind ?? ""));
  }

  /** The type for a kind name in a group (any version). */
  typeForKind(group: string, kind: string): ResourceType | undefined {
    return this.registry.findKindAnyVersion(group, kind);
  }

  #as(type: ResourceType, obj: KubeObject): KubeObject {
    const out = clone(obj);
    out.apiVersion = apiVersionOf(type.group, type.version);
    out.kind = type.kind;
    return out;
  }

  /** A copy of an object; throws 404. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.peek(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(type, name);
    return this.#as(type, obj);
  }

  /** The stored object or undefined (do not mutate). */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.peek(typeKey(type), type.namespaced ? namespace : undefined, name);
  }

  /** A list object with matching items. */
  list(type: ResourceType, namespace: string | undefined, selector: Selector): Rec {
    const items = this.store.peekList(typeKey(type), type.namespaced ? namespace : undefined)
      .filter(selector).map((o) => this.#as(type, o));
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type.group, type.version),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items,
    };
  }

  #checkNamespace(type: ResourceType, namespace: string | undefined, creating: boolean): void {
    if (!type.namespaced) return;
    if (!namespace) {
      throw new StatusError(400, "BadRequest", "the namespace of the object is required");
    }
    const ns = this.store.peek("/namespaces", undefined, namespace);
    if (!ns) {
      throw new StatusError(404, "NotFound", `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: "namespaces",
      });
    }
    if (creating && ns.metadata.deletionTimestamp) {
      throw new StatusError(
        403,
        "Forbidden",
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: "namespaces" },
      );
    }
  }

  #identity(type: ResourceType, namespace: string | undefined, body: Rec, urlName?: string): {
    obj: KubeObject;
    name: string;
  } {
    if (!isRec(body)) throw new StatusError(400, "BadRequest", "the body is not an object");
    const obj = clone(body) as KubeObject;
    obj.metadata = isRec(obj.metadata) ? obj.metadata : {};
    if (obj.kind !== undefined && obj.kind !== type.kind && !REVIEW_RESOURCES.has(typeKey(type))) {
      throw new StatusError(
        400,
        "BadRequest",
        `the kind "${obj.kind}" does not match the resource "${
          qualified(type)
        }" (kind "${type.kind}")`,
      );
    }
    obj.apiVersion = apiVersionOf(type.group, type.version);
    obj.kind = type.kind;
    if (type.namespaced) {
      const bodyNs = obj.metadata.namespace;
      if (bodyNs && namespace && bodyNs !== namespace) {
        throw new StatusError(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      obj.metadata.namespace = namespace ?? bodyNs;
    } else delete obj.metadata.namespace;
    let name = obj.metadata.name ?? "";
    if (urlName !== undefined) {
      if (name && name !== urlName) {
        throw new StatusError(
          400,
          "BadRequest",
          `the name of the object (${name}) does not match the name on the URL (${urlName})`,
        );
      }
      name = urlName;
    }
    if (!name && obj.metadata.generateName) {
      name = `${obj.metadata.generateName}${randomSuffix(this.#random)}`;
    }
    if (!name) {
      throw new StatusError(
        422,
        "Invalid",
        `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: type.kind,
          causes: [{
            reason: "FieldValueRequired",
            message: "Required value",
            field: "metadata.name",
          }],
        },
      );
    }
    obj.metadata.name = name;
    return { obj, name };
  }

  /** Fills in server-owned fields and stores the result (unless dry-run). */
  #commit(
    type: ResourceType,
    old: KubeObject | undefined,
    next: KubeObject,
    ctx: WriteContext,
    scope: FieldScope,
    managed: "apply" | "update",
  ): KubeObject {
    const source = ctx.source ?? "api";
    if (old) {
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      }
    } else {
      next.metadata.uid = crypto.randomUUID();
      next.metadata.creationTimestamp = nowIso();
      delete next.metadata.deletionTimestamp;
    }
    delete next.metadata.resourceVersion;
    delete next.metadata.selfLink;
    if (scope.statusOnly) {
      const base = old ? clone(old) : next;
      base.status = next.status;
      base.metadata.managedFields = next.metadata.managedFields;
      next = base;
    } else if (type.status && source === "api") {
      if (old && old.status !== undefined) next.status = clone(old.status);
      else delete next.status;
    }
    if (!scope.statusOnly) {
      if (type.resource === "secrets" && !type.group) normalizeSecret(next);
      this.#defaulter.apply(type, next, old);
    }
    if (type.generation || type.crd) {
      const prev = old?.metadata.generation ?? 0;
      next.metadata.generation = !old
        ? 1
        : deepEqual(specOf(old), specOf(next))
        ? (prev || 1)
        : (prev || 1) + 1;
    } else if (old?.metadata.generation !== undefined) {
      next.metadata.generation = old.metadata.generation;
    } else delete next.metadata.generation;
    if (managed === "update") {
      if (source === "controller" || source === "seed") {
        next.metadata.managedFields = old?.metadata.managedFields ??
          next.metadata.managedFields ?? undefined;
        if (next.metadata.managedFields === undefined) delete next.metadata.managedFields;
      } else {
        recordUpdate(old, next, {
          manager: ctx.manager ?? defaultManager(ctx.userAgent),
          apiVersion: next.apiVersion,
          time: nowIso(),
          scope,
          subresource: scope.statusOnly ? "status" : undefined,
        });
      }
    }
    if (Array.isArray(next.metadata.managedFields) && next.metadata.managedFields.length === 0) {
      delete next.metadata.managedFields;
    }
    if (ctx.dryRun) {
      if (old?.metadata.resourceVersion) {
        next.metadata.resourceVersion = old.metadata.resourceVersion;
      }
      return this.#as(type, next);
    }
    const stored = this.store.write(typeKey(type), next, source);
    if (stored.metadata.deletionTimestamp && this.#finalized(type, stored)) {
      this.#remove(type, stored, source, "Background");
    }
    return this.#as(type, stored);
  }

  #finalized(type: ResourceType, obj: KubeObject): boolean {
    if ((obj.metadata.finalizers ?? []).length > 0) return false;
    if (type.resource === "namespaces" && !type.group) {
      return arr(rec(obj.spec).finalizers).length === 0;
    }
    return true;
  }

  /** POST: creates an object (201). Review kinds are answered without storing. */
  create(
    type: ResourceType,
    namespace: string | undefined,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    if (REVIEW_RESOURCES.has(typeKey(type))) return this.#review(type, body);
    const { obj, name } = this.#identity(type, namespace, body);
    this.#checkNamespace(type, obj.metadata.namespace, true);
    if (this.store.peek(typeKey(type), obj.metadata.namespace, name)) {
      throw new StatusError(409, "AlreadyExists", `${qualified(type)} "${name}" already exists`, {
        name,
        group: type.group,
        kind: type.resource,
      });
    }
    return this.#commit(type, undefined, obj, ctx, { ignoreStatus: type.status }, "update");
  }

  #review(type: ResourceType, body: Rec): KubeObject {
    const spec = rec(body.spec);
    const attrs = rec(spec.resourceAttributes);
    const fault = this.faults.accessReview({
      verb: attrs.verb as string | undefined,
      group: attrs.group as string | undefined,
      resource: attrs.resource as string | undefined,
      namespace: attrs.namespace as string | undefined,
      name: attrs.name as string | undefined,
    });
    const allowed = fault ? fault.allowed : true;
    const status: Rec = { allowed };
    if (fault?.reason) status.reason = fault.reason;
    else if (allowed) status.reason = "allowed by the simulator";
    if (!allowed) status.denied = true;
    if (type.resource === "selfsubjectrulesreviews") {
      status.resourceRules = [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }];
      status.nonResourceRules = [{ verbs: ["*"], nonResourceURLs: ["*"] }];
      status.incomplete = false;
      delete status.allowed;
      delete status.reason;
    }
    return {
      kind: type.kind,
      apiVersion: apiVersionOf(type.group, type.version),
      metadata: { creationTimestamp: null } as unknown as KubeObject["metadata"],
      spec,
      status,
    };
  }

  /** PUT: replaces an object (409 on a stale resourceVersion, unconditional without one). */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    const ns = type.namespaced ? namespace : undefined;
    const old = this.store.peek(typeKey(type), ns, name);
    if (!old) throw notFound(type, name);
    const { obj } = this.#identity(type, namespace, body, name);
    this.#checkVersion(type, old, obj);
    return this.#commit(type, old, obj, ctx, { ignoreStatus: type.status }, "update");
  }

  /** PUT …/status: replaces the status only. */
  updateStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    const ns = type.namespaced ? namespace : undefined;
    const old = this.store.peek(typeKey(type), ns, name);
    if (!old) throw notFound(type, name);
    const { obj } = this.#identity(type, namespace, body, name);
    this.#checkVersion(type, old, obj);
    return this.#commit(
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
    const type = this.registry.find("", "v1", "namespaces")!;
    const old = this.store.peek("/namespaces", undefined, name);
    if (!old) throw notFound(type, name);
    const next = clone(old);
    next.spec = { ...rec(old.spec), finalizers: arr(rec(body.spec).finalizers) };
    return this.#commit(type, old, next, { source: "controller", ...ctx }, {}, "update");
  }

  #checkVersion(type: ResourceType, old: KubeObject, obj: KubeObject): void {
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) {
      throw new StatusError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${
          qualified(type)
        } "${old.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: old.metadata.name, group: type.group, kind: type.resource },
      );
    }
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
    const old = this.store.peek(typeKey(type), ns, name);
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
      const { obj: config } = this.#identity(type, namespace, rec(body), name);
      delete config.metadata.namespace;
      if (type.namespaced) config.metadata.namespace = namespace;
      if (old && !ctx.force) {
        const fault = this.faults.forObject(old);
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
        this.#checkNamespace(type, ns, true);
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
      const object = this.#commit(type, old, merged, { ...ctx, source }, scope, "apply");
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
      this.#checkVersion(type, old, { ...next, metadata: { resourceVersion: precondition } });
    }
    next.metadata.managedFields = old.metadata.managedFields;
    const object = this.#commit(type, old, next, { ...ctx, source }, scope, "update");
    return { object, created: false };
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
    const old = this.store.peek(typeKey(type), ns, name);
    if (!old) throw notFound(type, name);
    const source = ctx.source ?? "api";
    const isNamespace = type.resource === "namespaces" && !type.group;
    if (isNamespace || (old.metadata.finalizers ?? []).length > 0) {
      if (old.metadata.deletionTimestamp) return this.#as(type, old);
      const next = clone(old);
      next.metadata.deletionTimestamp = nowIso();
      if (isNamespace) next.status = { ...rec(next.status), phase: "Terminating" };
      if (ctx.dryRun) return this.#as(type, next);
      const stored = this.store.write(typeKey(type), next, source);
      return this.#as(type, stored);
    }
    if (ctx.dryRun) return this.#as(type, old);
    const gone = this.#remove(type, old, source, ctx.propagationPolicy ?? "Background");
    return this.#as(type, gone);
  }

  #remove(
    type: ResourceType,
    obj: KubeObject,
    source: WriteSource,
    propagation: string,
  ): KubeObject {
    const gone =
      this.store.remove(typeKey(type), obj.metadata.namespace, obj.metadata.name ?? "", source) ??
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
    for (const cr of this.store.peekList(grKey(group, plural))) {
      this.store.remove(
        grKey(group, plural),
        cr.metadata.namespace,
        cr.metadata.name ?? "",
        "controller",
      );
    }
    this.registry.removeCrdTypes(crd.metadata.name ?? "");
  }

  #cascade(uid: string, source: WriteSource): void {
    if (!uid) return;
    for (const gr of this.store.groupResources()) {
      for (const dep of this.store.peekList(gr)) {
        if (!(dep.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
        const [group, resource] = [gr.slice(0, gr.indexOf("/")), gr.slice(gr.indexOf("/") + 1)];
        const depType = this.registry.findAnyVersion(group, resource);
        if (!depType) {
          this.store.remove(gr, dep.metadata.namespace, dep.metadata.name ?? "", source);
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

  /**
   * Creates or replaces an object as given, status included (for seeding):
   * the namespace is created if missing; defaults and metadata are filled in.
   */
  seed(body: Rec): KubeObject {
    const type = this.typeOf(body);
    if (!type) {
      throw new Error(
        `Cannot seed ${body.kind} "${
          rec(body.metadata).name
        }": unknown apiVersion/kind "${body.apiVersion}"/"${body.kind}"`,
      );
    }
    const namespace = type.namespaced
      ? String(rec(body.metadata).namespace ?? "default")
      : undefined;
    if (namespace && !this.store.peek("/namespaces", undefined, namespace)) {
      this.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    }
    const { obj, name } = this.#identity(type, namespace, body);
    const old = this.store.peek(typeKey(type), namespace, name);
    return this.#commit(type, old, obj, { source: "seed" }, {}, "update");
  }

  /**
   * Writes a controller's change to an object's status, only if it differs.
   * Returns the stored object (or the current one when nothing changed).
   */
  writeStatus(type: ResourceType, obj: KubeObject, status: Rec): KubeObject | undefined {
    const current = this.store.peek(typeKey(type), obj.metadata.namespace, obj.metadata.name ?? "");
    if (!current) return undefined;
    if (deepEqual(current.status, status)) return current;
    const next = clone(current);
    next.status = status;
    return this.#commit(
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
    const current = this.store.peek(
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
    return this.#commit(type, current, copy, { source: "controller" }, {}, "update");
  }

  /** Creates an object on behalf of a controller (no managedFields); undefined if refused. */
  controllerCreate(type: ResourceType, body: KubeObject): KubeObject | undefined {
    try {
      const { obj, name } = this.#identity(type, body.metadata.namespace, body);
      this.#checkNamespace(type, obj.metadata.namespace, true);
      if (this.store.peek(typeKey(type), obj.metadata.namespace, name)) return undefined;
      return this.#commit(type, undefined, obj, { source: "controller" }, {}, "update");
    } catch {
      return undefined;
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

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function normalizeSecret(obj: KubeObject): void {
  const stringData = rec(obj.stringData);
  if (Object.keys(stringData).length > 0) {
    const data = { ...rec(obj.data) };
    for (const [k, v] of Object.entries(stringData)) data[k] = utf8Base64(String(v));
    obj.data = data;
  }
  delete obj.stringData;
}
