/**
 * Create, read and update in the simulated API: GET and LIST, POST (review
 * kinds answered without storing), PUT with its resourceVersion check, and
 * seeding objects as given.
 *
 * @module
 */

import {
  apiVersionOf,
  type KubeObject,
  type Rec,
  rec,
  splitApiVersion,
  StatusError,
} from "../object.ts";
import { type ResourceType, REVIEW_RESOURCES } from "../resources.ts";
import type { Selector } from "../selectors.ts";
import { notFound, qualified, typeKey, type WriteContext, type Writer } from "./_writer.ts";

/** GET, LIST, POST, PUT and seeding. */
export class Crud {
  #w: Writer;

  constructor(writer: Writer) {
    this.#w = writer;
  }

  /** The served type of an object (by apiVersion and kind), if any. */
  typeOf(obj: { apiVersion?: unknown; kind?: unknown }): ResourceType | undefined {
    const { group, version } = splitApiVersion(String(obj.apiVersion ?? ""));
    return this.#w.registry.findKind(group, version, String(obj.kind ?? "")) ??
      this.#w.registry.findKindAnyVersion(group, String(obj.kind ?? ""));
  }

  /** The type for a kind name in a group (any version). */
  typeForKind(group: string, kind: string): ResourceType | undefined {
    return this.#w.registry.findKindAnyVersion(group, kind);
  }

  /** A copy of an object; throws 404. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.#w.store.peek(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(type, name);
    return this.#w.as(type, obj);
  }

  /** The stored object or undefined (do not mutate). */
  peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#w.store.peek(typeKey(type), type.namespaced ? namespace : undefined, name);
  }

  /** A list object with matching items. */
  list(type: ResourceType, namespace: string | undefined, selector: Selector): Rec {
    const items = this.#w.store.peekList(typeKey(type), type.namespaced ? namespace : undefined)
      .filter(selector).map((o) => this.#w.as(type, o));
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type.group, type.version),
      metadata: { resourceVersion: String(this.#w.store.resourceVersion) },
      items,
    };
  }

  /** POST: creates an object (201). Review kinds are answered without storing. */
  create(
    type: ResourceType,
    namespace: string | undefined,
    body: Rec,
    ctx: WriteContext = {},
  ): KubeObject {
    if (REVIEW_RESOURCES.has(typeKey(type))) return this.#review(type, body);
    const { obj, name } = this.#w.identity(type, namespace, body);
    this.#w.checkNamespace(type, obj.metadata.namespace, true);
    if (this.#w.store.peek(typeKey(type), obj.metadata.namespace, name)) {
      throw new StatusError(409, "AlreadyExists", `${qualified(type)} "${name}" already exists`, {
        name,
        group: type.group,
        kind: type.resource,
      });
    }
    return this.#w.commit(type, undefined, obj, ctx, { ignoreStatus: type.status }, "update");
  }

  #review(type: ResourceType, body: Rec): KubeObject {
    const spec = rec(body.spec);
    const attrs = rec(spec.resourceAttributes);
    const fault = this.#w.faults.accessReview({
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
    const { old, obj } = this.#w.replacing(type, namespace, name, body);
    return this.#w.commit(type, old, obj, ctx, { ignoreStatus: type.status }, "update");
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
    if (namespace && !this.#w.store.peek("/namespaces", undefined, namespace)) {
      this.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    }
    const { obj, name } = this.#w.identity(type, namespace, body);
    const old = this.#w.store.peek(typeKey(type), namespace, name);
    return this.#w.commit(type, old, obj, { source: "seed" }, {}, "update");
  }
}
