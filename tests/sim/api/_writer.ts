/**
 * The write path every verb of the simulated API shares: the object's
 * identity (kind, namespace, name or generateName), namespace and
 * resourceVersion checks, and the commit that fills in server-owned metadata
 * (uid, generation, managedFields), applies defaults and stores the result.
 *
 * @module
 */

import { Defaulter } from "../defaults.ts";
import type { FaultSet } from "../faults.ts";
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
  StatusError,
  utf8Base64,
} from "../object.ts";
import { type FieldScope, recordUpdate } from "../patch/mod.ts";
import { type Registry, type ResourceType, REVIEW_RESOURCES } from "../resources.ts";
import { grKey, type Store, type WriteSource } from "../store.ts";

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

/** Storage key of a type. */
export function typeKey(type: ResourceType): string {
  return grKey(type.group, type.resource);
}

/** `resource.group` (or the resource of the core group). */
export function qualified(type: ResourceType): string {
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

/** Removes an object for good (the deleter's `remove`). */
export type Remove = (
  type: ResourceType,
  obj: KubeObject,
  source: WriteSource,
  propagation: string,
) => KubeObject;

/** What a {@link Writer} is made of. */
export interface WriterInit {
  store: Store;
  registry: Registry;
  faults: FaultSet;
  random: () => number;
  /** Called when a commit leaves an object deleted and finalised. */
  remove: Remove;
}

/** The write path every verb shares. */
export class Writer {
  readonly store: Store;
  readonly registry: Registry;
  readonly faults: FaultSet;
  #defaulter = new Defaulter((type) => this.#crdSchema(type));
  #random: () => number;
  #remove: Remove;

  constructor(init: WriterInit) {
    this.store = init.store;
    this.registry = init.registry;
    this.faults = init.faults;
    this.#random = init.random;
    this.#remove = init.remove;
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

  /** A copy of `obj` with `type`'s apiVersion and kind. */
  as(type: ResourceType, obj: KubeObject): KubeObject {
    const out = clone(obj);
    out.apiVersion = apiVersionOf(type.group, type.version);
    out.kind = type.kind;
    return out;
  }

  /** Throws unless `namespace` exists (and, when `creating`, is not terminating). */
  checkNamespace(type: ResourceType, namespace: string | undefined, creating: boolean): void {
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

  /** The object of a request body, its kind, namespace and name checked and filled in. */
  identity(type: ResourceType, namespace: string | undefined, body: Rec, urlName?: string): {
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
  commit(
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
      return this.as(type, next);
    }
    const stored = this.store.write(typeKey(type), next, source);
    if (stored.metadata.deletionTimestamp && this.#finalized(type, stored)) {
      this.#remove(type, stored, source, "Background");
    }
    return this.as(type, stored);
  }

  #finalized(type: ResourceType, obj: KubeObject): boolean {
    if ((obj.metadata.finalizers ?? []).length > 0) return false;
    if (type.resource === "namespaces" && !type.group) {
      return arr(rec(obj.spec).finalizers).length === 0;
    }
    return true;
  }

  /**
   * A PUT's stored object and the body as the object it would become: 404
   * when none is stored, 409 when the body names another resourceVersion.
   */
  replacing(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Rec,
  ): { old: KubeObject; obj: KubeObject } {
    const old = this.store.peek(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (!old) throw notFound(type, name);
    const { obj } = this.identity(type, namespace, body, name);
    this.checkVersion(type, old, obj);
    return { old, obj };
  }

  /** Throws a 409 when `obj` names a resourceVersion other than the stored one. */
  checkVersion(type: ResourceType, old: KubeObject, obj: KubeObject): void {
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
}

/** `value` if it is an array, else an empty one. */
export function arr(value: unknown): unknown[] {
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
