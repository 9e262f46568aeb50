/**
 * A resumable watch: newline-delimited JSON events from
 * `GET …?watch=true`, resumed from the last resourceVersion seen (bookmarks
 * included) whenever a stream ends, relisted on 410 Gone (the list's items
 * come as ADDED/MODIFIED, vanished objects as DELETED, so the caller's state
 * is fresh), transient failures backed off with retry.ts's capped backoff,
 * and every stream bounded: headers by the request deadline, silence by
 * `timeoutSeconds` plus that deadline.
 *
 * @module
 */

import { ApiError } from "./_http.ts";
import { cancelOnAbort } from "./body.ts";
import { abortableSleep, backoffDelay } from "./retry.ts";

/** The events a watch delivers. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

type Obj = Record<string, unknown>;

export interface WatchOptions {
  /** start from here instead of listing first */
  resourceVersion?: string;
  /** stops the watch; the promise then resolves */
  signal: AbortSignal;
  /** each event, in order; awaited before the next */
  onEvent(type: WatchEventType, obj: Obj): void | Promise<void>;
  /** after the first list and after each relist, with the list's resourceVersion */
  onSynced?(resourceVersion: string): void;
  /** a stream failed and will be reopened after `delayMs` */
  onRetry?(info: { attempt: number; delayMs: number; reason: string }): void;
  /** ask for BOOKMARK events (default true) */
  allowWatchBookmarks?: boolean;
  /** per stream, sent to the server (default 300) */
  timeoutSeconds?: number;
}

/** What the client lends the watch loop. */
export interface WatchDeps {
  list(
    signal: AbortSignal,
  ): Promise<{ items: Obj[]; resourceVersion: string; unknownKind: boolean }>;
  /** the collection path with its selectors */
  collectionPath(signal: AbortSignal): Promise<string>;
  /** one GET whose headers are bounded by the request deadline; the body is left to read */
  open(path: string, signal: AbortSignal): Promise<Response>;
  /** the ApiError for an ERROR event's Status */
  statusError(status: Obj, path: string): ApiError;
  unknownKind(): Error;
  /** the request deadline, added to `timeoutSeconds` as the silence limit */
  timeoutMs: number;
  backoff: { baseMs: number; maxDelayMs: number };
}

/** A stream that ends sooner than this without an event counts as a failure (backoff). */
const QUICK_CLOSE_MS = 1000;

interface StreamEnd {
  /** events (not bookmarks) delivered */
  events: number;
  expired: boolean;
  reason: string;
}

/** An error thrown by the caller's `onEvent`, passed through untouched. */
class CallerFailure {
  constructor(readonly error: unknown) {}
}

function meta(obj: Obj): Obj {
  return (obj.metadata ?? {}) as Obj;
}

function keyOf(obj: Obj): string {
  const m = meta(obj);
  return `${m.namespace ?? ""}/${m.name ?? ""}`;
}

function rvOf(obj: Obj): string | undefined {
  const rv = meta(obj).resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

/** Runs a watch until `options.signal` aborts (resolves) or a failure that is not transient (rejects). */
export async function runWatch(deps: WatchDeps, options: WatchOptions): Promise<void> {
  const { signal } = options;
  const known = new Map<string, Obj>();
  let rv = options.resourceVersion;
  let failures = 0;
  const timeoutSeconds = options.timeoutSeconds ?? 300;

  const deliver = async (type: WatchEventType, obj: Obj): Promise<void> => {
    if (type === "DELETED") known.delete(keyOf(obj));
    else known.set(keyOf(obj), obj);
    await options.onEvent(type, obj);
  };

  const relist = async (): Promise<string> => {
    const list = await deps.list(signal);
    if (list.unknownKind) throw deps.unknownKind();
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      seen.add(key);
      const before = known.get(key);
      if (before && rvOf(before) === rvOf(item)) continue;
      await deliver(before ? "MODIFIED" : "ADDED", item);
    }
    for (const [key, obj] of [...known]) if (!seen.has(key)) await deliver("DELETED", obj);
    options.onSynced?.(list.resourceVersion);
    return list.resourceVersion;
  };

  const stream = async (path: string): Promise<StreamEnd> => {
    const silence = new AbortController();
    const streamSignal = AbortSignal.any([signal, silence.signal]);
    const res = await deps.open(path, streamSignal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), timeoutSeconds * 1000 + deps.timeoutMs);
    };
    arm();
    const end: StreamEnd = { events: 0, expired: false, reason: "stream closed" };
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    // an abort ends a read already waiting, whatever fetch does (body.ts)
    const stopCancel = cancelOnAbort(reader, streamSignal);
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        buffer += value;
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as { type: string; object: Obj };
          if (event.type === "ERROR") {
            const code = event.object?.code;
            if (code === 410) {
              return { ...end, expired: true, reason: "resourceVersion expired (410)" };
            }
            throw deps.statusError(event.object ?? {}, path);
          }
          rv = rvOf(event.object) ?? rv;
          if (event.type === "BOOKMARK") continue;
          if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") {
            continue;
          }
          end.events++;
          failures = 0;
          try {
            await deliver(event.type, event.object);
          } catch (error) {
            throw new CallerFailure(error);
          }
        }
      }
    } catch (error) {
      if (error instanceof CallerFailure) throw error.error;
      if (signal.aborted) return end;
      if (error instanceof ApiError) throw error;
      if (silence.signal.aborted) return { ...end, reason: "stream silent too long" };
      if (error instanceof SyntaxError) throw error;
      return { ...end, reason: `stream broke: ${error instanceof Error ? error.message : error}` };
    } finally {
      clearTimeout(timer);
      stopCancel();
      reader.cancel().catch(() => {});
    }
    if (silence.signal.aborted && !signal.aborted) {
      return { ...end, reason: "stream silent too long" };
    }
    return end;
  };

  const pause = async (reason: string): Promise<void> => {
    failures++;
    const delayMs = backoffDelay(failures, deps.backoff);
    options.onRetry?.({ attempt: failures, delayMs, reason });
    await abortableSleep(delayMs, signal).catch(() => {});
  };

  try {
    const base = await deps.collectionPath(signal);
    if (rv === undefined) rv = await relist();
    while (!signal.aborted) {
      const params = new URLSearchParams({ watch: "true" });
      if (options.allowWatchBookmarks ?? true) params.set("allowWatchBookmarks", "true");
      if (rv) params.set("resourceVersion", rv);
      params.set("timeoutSeconds", String(timeoutSeconds));
      const path = `${base}${base.includes("?") ? "&" : "?"}${params}`;
      const started = Date.now();
      try {
        const end = await stream(path);
        if (signal.aborted) break;
        if (end.expired) {
          rv = await relist();
          continue;
        }
        // a stream that closes at once with nothing in it must not spin
        if (end.events === 0 && Date.now() - started < QUICK_CLOSE_MS) await pause(end.reason);
        else failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ApiError && (error.status === 410 || error.reason === "Expired")) {
          rv = await relist();
          continue;
        }
        if (!(error instanceof ApiError) || !error.transient) throw error;
        await pause(error.transientReason ?? error.reason);
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
}
