/**
 * Timers for the simulator: keyed, cancellable, all cleared on close, so
 * Deno's test sanitizers see no leaked timers.
 *
 * @module
 */

/** Runs callbacks after delays; `close()` cancels everything. */
export class Scheduler {
  #keyed = new Map<string, ReturnType<typeof setTimeout>>();
  #anonymous = new Set<ReturnType<typeof setTimeout>>();
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
      clearTimeout(this.#keyed.get(key));
      this.#keyed.delete(key);
    }
    const id = setTimeout(() => {
      if (key !== undefined) this.#keyed.delete(key);
      else this.#anonymous.delete(id);
      if (this.#closed) return;
      try {
        fn();
      } catch (error) {
        this.#onError(error);
      }
    }, Math.max(0, ms));
    if (key !== undefined) this.#keyed.set(key, id);
    else this.#anonymous.add(id);
  }

  /** Cancels the pending timer with this key. */
  cancel(key: string): void {
    const id = this.#keyed.get(key);
    if (id !== undefined) clearTimeout(id);
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
    for (const id of this.#keyed.values()) clearTimeout(id);
    for (const id of this.#anonymous) clearTimeout(id);
    this.#keyed.clear();
    this.#anonymous.clear();
    for (const wake of [...this.#sleepers]) wake();
  }
}
