/**
 * Timers for the simulator: keyed, cancellable, all cleared on close, so
 * Deno's test sanitizers see no leaked timers.
 *
 * Work due at once (a controller's next reconcile) runs as an immediate,
 * not a zero-delay timeout: Deno's timers fire about 2 ms late, and a
 * rollout takes several hops, so a Deployment would become ready some
 * 6-11 ms after its delay, time that no readiness profile accounts for.
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";

type Handle =
  | { timeout: ReturnType<typeof setTimeout> }
  | { immediate: ReturnType<typeof setImmediate> };

function clear(h: Handle): void {
  if ("timeout" in h) clearTimeout(h.timeout);
  else clearImmediate(h.immediate);
}

/** Runs callbacks after delays; `close()` cancels everything. */
export class Scheduler {
  #keyed = new Map<string, Handle>();
  #anonymous = new Set<Handle>();
  #sleepers = new Set<() => void>();
  #closed = false;
  #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Pending timers. */
  get pending(): number {
    return this.#keyed.size + this.#anonymous.size;
  }

  /**
   * Runs `fn` after `ms`. With a key, a pending timer of the same key is kept
   * (`replace: false`, the default) or replaced (`replace: true`).
   */
  after(ms: number, fn: () => void, options: { key?: string; replace?: boolean } = {}): void {
    if (this.#closed) return;
    const { key, replace = false } = options;
    if (key !== undefined && this.#keyed.has(key)) {
      if (!replace) return;
      clear(this.#keyed.get(key)!);
      this.#keyed.delete(key);
    }
    const run = (): void => {
      if (key !== undefined) this.#keyed.delete(key);
      else this.#anonymous.delete(handle);
      if (this.#closed) return;
      try {
        fn();
      } catch (error) {
        this.#onError(error);
      }
    };
    const handle: Handle = ms > 0
      ? { timeout: setTimeout(run, ms) }
      : { immediate: setImmediate(run) };
    if (key !== undefined) this.#keyed.set(key, handle);
    else this.#anonymous.add(handle);
  }

  /** Cancels the pending timer with this key. */
  cancel(key: string): void {
    const handle = this.#keyed.get(key);
    if (handle !== undefined) clear(handle);
    this.#keyed.delete(key);
  }

  /** Resolves after `ms`, or at once when the scheduler closes. */
  sleep(ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#sleepers.delete(done);
        resolve();
      };
      this.#sleepers.add(done);
      this.after(ms, done);
    });
  }

  /** Cancels every timer and wakes every sleeper. */
  close(): void {
    this.#closed = true;
    for (const handle of this.#keyed.values()) clear(handle);
    for (const handle of this.#anonymous) clear(handle);
    this.#keyed.clear();
    this.#anonymous.clear();
    for (const wake of [...this.#sleepers]) wake();
  }
}
