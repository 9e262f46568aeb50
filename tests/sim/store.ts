/**
 * The object store: every object keyed by group/resource, namespace and
 * name, one resourceVersion counter for everything, a bounded log of change
 * events for watch resumption, and subscribers that see every write.
 *
 * Stored objects are never mutated: each write stores a fresh copy.
 *
 * @module
 */

import { clone, type KubeObject } from "./object.ts";

/** Who made a write; controllers react only to writes that are not their own. */
export type WriteSource = "api" | "status" | "controller" | "seed";

/** One change. */
export interface StoreEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** `group/resource`, e.g. `apps/deployments` or `/pods`. */
  gr: string;
  object: KubeObject;
  old?: KubeObject;
  source: WriteSource;
}

/** Storage key of a group/resource. */
export function grKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}

function objKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** The object store. */
export class Store {
  #rv = 0;
  #objects = new Map<string, Map<string, KubeObject>>();
  #log: StoreEvent[] = [];
  #compactedThrough = 0;
  #maxEvents: number;
  #subscribers = new Set<(event: StoreEvent) => void>();

  #onError: (error: unknown) => void;

  constructor(options: { maxEvents?: number; onError?: (error: unknown) => void } = {}) {
    this.#maxEvents = options.maxEvents ?? 5_000;
    this.#onError = options.onError ?? (() => {});
  }

  /** The latest resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Reserves and returns the next resourceVersion. */
  nextResourceVersion(): number {
    return ++this.#rv;
  }

  /** The stored object (do not mutate it), or undefined. */
  peek(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(gr)?.get(objKey(namespace, name));
  }

  /** A copy of the stored object, or undefined. */
  get(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return clone(this.peek(gr, namespace, name));
  }

  /** Stored objects of one group/resource (do not mutate them), sorted by namespace and name. */
  peekList(gr: string, namespace?: string): KubeObject[] {
    const bucket = this.#objects.get(gr);
    if (!bucket) return [];
    const out: KubeObject[] = [];
    for (const obj of bucket.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out.sort((a, b) => {
      const ka = objKey(a.metadata.namespace, a.metadata.name ?? "");
      const kb = objKey(b.metadata.namespace, b.metadata.name ?? "");
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  /** Copies of the objects of one group/resource. */
  list(gr: string, namespace?: string): KubeObject[] {
    return this.peekList(gr, namespace).map((o) => clone(o));
  }

  /** Every group/resource that has objects. */
  groupResources(): string[] {
    return [...this.#objects.keys()].filter((k) => (this.#objects.get(k)?.size ?? 0) > 0);
  }

  /** Finds a stored object by uid in any group/resource. */
  findByUid(uid: string): { gr: string; object: KubeObject } | undefined {
    for (const [gr, bucket] of this.#objects) {
      for (const object of bucket.values()) {
        if (object.metadata.uid === uid) return { gr, object };
      }
    }
    return undefined;
  }

  /** Stores an object (a copy), giving it a new resourceVersion. Returns the stored copy. */
  write(gr: string, object: KubeObject, source: WriteSource): KubeObject {
    const name = object.metadata.name ?? "";
    const key = objKey(object.metadata.namespace, name);
    let bucket = this.#objects.get(gr);
    if (!bucket) this.#objects.set(gr, bucket = new Map());
    const old = bucket.get(key);
    const stored = clone(object);
    const rv = this.nextResourceVersion();
    stored.metadata.resourceVersion = String(rv);
    bucket.set(key, stored);
    this.#emit({ rv, type: old ? "MODIFIED" : "ADDED", gr, object: stored, old, source });
    return stored;
  }

  /** Removes an object. Returns the removed copy (with the deletion's resourceVersion). */
  remove(
    gr: string,
    namespace: string | undefined,
    name: string,
    source: WriteSource,
  ): KubeObject | undefined {
    const bucket = this.#objects.get(gr);
    const key = objKey(namespace, name);
    const old = bucket?.get(key);
    if (!bucket || !old) return undefined;
    bucket.delete(key);
    const rv = this.nextResourceVersion();
    const gone = clone(old);
    gone.metadata.resourceVersion = String(rv);
    this.#emit({ rv, type: "DELETED", gr, object: gone, old, source });
    return gone;
  }

  /**
   * Events after `rv`, or "expired" when some of them were dropped from the
   * bounded log (the client must relist).
   */
  eventsSince(rv: number): StoreEvent[] | "expired" {
    if (rv < this.#compactedThrough) return "expired";
    const first = this.#log.findIndex((e) => e.rv > rv);
    return first < 0 ? [] : this.#log.slice(first);
  }

  /** Drops every logged event up to now, so older resourceVersions get 410 Expired. */
  compact(): void {
    this.#compactedThrough = this.#rv;
    this.#log = [];
  }

  /** Calls `fn` for every write until the returned function is called. */
  subscribe(fn: (event: StoreEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  #emit(event: StoreEvent): void {
    this.#log.push(event);
    if (this.#log.length > this.#maxEvents) {
      const drop = this.#log.length - this.#maxEvents;
      this.#compactedThrough = this.#log[drop - 1].rv;
      this.#log = this.#log.slice(drop);
    }
    for (const fn of [...this.#subscribers]) {
      try {
        fn(event);
      } catch (error) {
        // a subscriber's failure must not break the write
        this.#onError(error);
      }
    }
  }
}
