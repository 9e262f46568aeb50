/**
 * Watch streams: watch-list (initial ADDED events, then a bookmark with
 * `k8s.io/initial-events-end`), resumption from a resourceVersion (410
 * Expired when too old), selectors (an object leaving a selector is DELETED,
 * one entering it ADDED), `timeoutSeconds`, and watch faults.
 *
 * @module
 */

import type { WatchFault } from "./faults.ts";
import { apiVersionOf, type KubeObject, statusObject } from "./object.ts";
import type { ResourceType } from "./resources.ts";
import type { Selector } from "./selectors.ts";
import type { Store, StoreEvent } from "./store.ts";

/** What one watch request asks for. */
export interface WatchRequest {
  type: ResourceType;
  gr: string;
  /** Undefined = all namespaces. */
  namespace?: string;
  selector: Selector;
  resourceVersion?: string;
  sendInitialEvents: boolean;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  fault?: WatchFault;
  /** Rewrites each event's object (e.g. into a one-row Table for `kubectl get -w`). */
  transform?: (obj: KubeObject) => unknown;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

interface Active {
  close(): void;
}

const encoder = new TextEncoder();

/** Serves watch streams and closes them all on shutdown. */
export class WatchHub {
  #store: Store;
  #active = new Set<Active>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Open watches. */
  get size(): number {
    return this.#active.size;
  }

  /** Closes every open watch. */
  closeAll(): void {
    for (const w of [...this.#active]) w.close();
  }

  /** The response body of a watch. */
  open(req: WatchRequest): ReadableStream<Uint8Array> {
    const store = this.#store;
    const active = this.#active;
    const apiVersion = apiVersionOf(req.type.group, req.type.version);
    const inScope = (obj: KubeObject | undefined): boolean =>
      obj !== undefined &&
      (req.namespace === undefined || obj.metadata.namespace === req.namespace) &&
      req.selector(obj);
    let sent = 0;
    let initial = false;
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const timers: ReturnType<typeof setTimeout>[] = [];
    let stream: ReadableStreamDefaultController<Uint8Array> | undefined;

    const handle: Active = {
      close(): void {
        if (closed) return;
        closed = true;
        unsubscribe?.();
        for (const t of timers) clearTimeout(t);
        active.delete(handle);
        try {
          stream?.close();
        } catch {
          // already closed or cancelled
        }
      },
    };

    const send = (type: EventType, object: unknown): void => {
      if (closed || !stream) return;
      stream.enqueue(encoder.encode(JSON.stringify({ type, object }) + "\n"));
      if (type === "BOOKMARK" || type === "ERROR" || initial) return;
      sent++;
      const limit = req.fault?.closeAfterEvents;
      if (limit !== undefined && sent >= limit) handle.close();
    };
    const as = (obj: KubeObject): unknown => {
      const out = { ...obj, apiVersion, kind: req.type.kind };
      return req.transform ? req.transform(out) : out;
    };
    const deliver = (e: StoreEvent): void => {
      if (e.gr !== req.gr) return;
      if (e.type === "ADDED") {
        if (inScope(e.object)) send("ADDED", as(e.object));
      } else if (e.type === "DELETED") {
        if (inScope(e.old ?? e.object)) send("DELETED", as(e.object));
      } else {
        const was = inScope(e.old);
        const is = inScope(e.object);
        if (was && is) send("MODIFIED", as(e.object));
        else if (is) send("ADDED", as(e.object));
        else if (was) send("DELETED", as(e.object));
      }
    };
    const expired = (): void => {
      send(
        "ERROR",
        statusObject(
          410,
          "Expired",
          `too old resource version: ${req.resourceVersion} (${store.resourceVersion})`,
        ),
      );
      handle.close();
    };

    return new ReadableStream<Uint8Array>({
      start(controller): void {
        stream = controller;
        active.add(handle);
        const rv = req.resourceVersion;
        const hasRv = rv !== undefined && rv !== "" && rv !== "0";
        if (req.fault?.expireOnResume && hasRv) return expired();
        const resuming = !req.sendInitialEvents && hasRv;
        if (resuming) {
          const events = store.eventsSince(Number(rv));
          if (events === "expired" || !/^\d+$/.test(rv)) return expired();
          for (const e of events) deliver(e);
        } else {
          initial = true;
          for (
            const obj of store.peekList(req.gr, req.type.namespaced ? req.namespace : undefined)
          ) {
            if (inScope(obj)) send("ADDED", as(obj));
          }
          initial = false;
          if (req.sendInitialEvents && !req.fault?.noInitialEventsEnd && !closed) {
            send("BOOKMARK", {
              kind: req.type.kind,
              apiVersion,
              metadata: {
                resourceVersion: String(store.resourceVersion),
                annotations: { "k8s.io/initial-events-end": "true" },
              },
            });
          }
        }
        if (closed) return;
        unsubscribe = store.subscribe(deliver);
        const timeoutMs = req.timeoutSeconds !== undefined ? req.timeoutSeconds * 1000 : undefined;
        const faultMs = req.fault?.closeAfterMs;
        const limits = [timeoutMs, faultMs].filter((v): v is number => v !== undefined && v > 0);
        if (limits.length > 0) timers.push(setTimeout(() => handle.close(), Math.min(...limits)));
      },
      cancel(): void {
        handle.close();
      },
    });
  }
}
