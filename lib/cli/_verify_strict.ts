/**
 * `verify --strict` changes the cluster (a PeerAuthentication, a client
 * namespace), so it holds the run lock like a mutating run, and Ctrl-C
 * stops the test (its restore then runs with its own deadline).
 */
import type { Kube } from "../kube/kube.ts";
import { currentHolder, RunLock } from "../run/lock.ts";

export interface StrictLockOptions {
  /** aborts like Ctrl-C (tests) */
  signal?: AbortSignal;
  /** the Lease's duration (tests shorten it) */
  leaseDurationSeconds?: number;
  /** the lock's notices (a takeover, a wait) */
  onNotice?(level: "info" | "warn", message: string): void;
}

/** Runs `fn` holding the cluster's run lock; `fn`'s signal aborts on Ctrl-C or a lost lock. */
export async function withStrictLock<T>(
  kube: Kube,
  options: StrictLockOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const abort = (): void => stop.abort(new DOMException("Interrupted", "AbortError"));
  options.signal?.addEventListener("abort", abort, { once: true });
  const lock = new RunLock(kube, {
    holder: currentHolder("verify --strict"),
    ...(options.leaseDurationSeconds ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
    onNotice: options.onNotice,
    onLost: (message) => {
      options.onNotice?.("warn", `Stopping: ${message}`);
      abort();
    },
  });
  let listening = false;
  try {
    await lock.acquire(stop.signal);
    Deno.addSignalListener("SIGINT", abort);
    listening = true;
    return await fn(stop.signal);
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", abort);
    options.signal?.removeEventListener("abort", abort);
    await lock.release();
  }
}
