/**
 * Keeps a background task's process from competing with the start-up of a
 * process on the longest chain of remaining work.
 *
 * A helm process spends its first 100-300 ms on the CPU (loading the chart,
 * discovery, rendering, applying) before it settles into `--wait`; two or
 * three starting at once on a small machine double that for each, and the
 * one on the critical path pays it in the run's total. So a foreground task
 * holds the gate from its start until its release's objects are applied
 * (or its step ends), and a background task waits for the gate to be free
 * before its first step (its reads and applies take CPU too) and again
 * before its helm process starts: each time for at most `maxWaitMs`, so
 * that a slow foreground never serialises the run.
 *
 * @module
 */

/** How long a background process waits at most for a foreground start-up. */
export const STARTUP_WAIT_MS = 3_000;

export class StartupGate {
  readonly #holds = new Set<symbol>();
  #waiters: (() => void)[] = [];

  /** Whether a foreground start-up is in progress. */
  get busy(): boolean {
    return this.#holds.size > 0;
  }

  /** Holds the gate; the function returned frees this hold (again is a no-op). */
  hold(): () => void {
    const h = Symbol("startup");
    this.#holds.add(h);
    return () => {
      if (!this.#holds.delete(h) || this.#holds.size > 0) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    };
  }

  /**
   * Resolves once no hold remains, after `maxWaitMs` at the latest, or at
   * once when `signal` aborts (the caller's next step sees the abort).
   * Returns how long it waited.
   */
  quiet(
    options: { signal?: AbortSignal; maxWaitMs?: number; now?: () => number } = {},
  ): Promise<number> {
    const now = options.now ?? Date.now;
    if (this.#holds.size === 0 || options.signal?.aborted) return Promise.resolve(0);
    const t0 = now();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", done);
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(now() - t0);
      };
      const timer = setTimeout(done, options.maxWaitMs ?? STARTUP_WAIT_MS);
      options.signal?.addEventListener("abort", done, { once: true });
      this.#waiters.push(done);
    });
  }
}
