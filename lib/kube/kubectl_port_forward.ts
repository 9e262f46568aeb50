/**
 * One HTTP GET through `kubectl port-forward`, for a kubeconfig that the
 * in-process client cannot serve: kubectl listens on a free local port
 * (`:PORT`, on 127.0.0.1 only), prints `Forwarding from 127.0.0.1:N -> PORT`,
 * and the GET goes to that port; then kubectl is stopped. Everything within
 * one deadline.
 *
 * @module
 */

import { readText } from "./body.ts";
import type { PortForwardResponse, PortForwardTarget } from "./port_forward.ts";
import type { ProcessRunner } from "./process.ts";

const FORWARDING = /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/;

/**
 * `GET path` on the pod's port through `argv` (a `kubectl port-forward
 * pod/P :PORT --address 127.0.0.1` with its target flags).
 */
export async function kubectlPortForwardGet(
  proc: ProcessRunner,
  argv: readonly string[],
  target: PortForwardTarget,
  request: { path: string; signal?: AbortSignal; timeoutMs?: number },
): Promise<PortForwardResponse> {
  const timeoutMs = request.timeoutMs ?? 15_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const stop = new AbortController();
  const where = `port-forward ${target.namespace}/${target.pod} ${target.port}`;
  let out = "";
  let listening!: (port: number) => void;
  const local = new Promise<number>((resolve) => (listening = resolve));
  const running = proc.run(argv, {
    signal: AbortSignal.any([signal, stop.signal]),
    timeoutMs: 0, // ended by the signal: the deadline above, or the answer read
    onStdout(chunk) {
      out += chunk;
      const m = FORWARDING.exec(out);
      if (m && Number(m[2]) === target.port) listening(Number(m[1]));
    },
  });
  // both settle once, and are handled even after the race is decided
  const exited = running.then((r): never => {
    throw new Error(
      `Cannot ${where}: kubectl exited ${r.code}: ${
        (r.stderr.trim().split("\n").at(-1) ?? "").replace(/^error: /, "")
      }`,
    );
  });
  const gaveUp = abortion(signal, where, timeoutMs);
  exited.catch(() => undefined);
  gaveUp.promise.catch(() => undefined);
  try {
    const port = await Promise.race([local, exited, gaveUp.promise]);
    const r = await fetch(`http://127.0.0.1:${port}${request.path}`, {
      signal,
      headers: { connection: "close" },
    });
    return { status: r.status, body: await readText(r, signal) };
  } catch (e) {
    if (deadline.aborted && !request.signal?.aborted) {
      throw new Error(`Cannot ${where}: no answer within ${timeoutMs / 1000} s`);
    }
    throw e;
  } finally {
    gaveUp.dispose();
    stop.abort();
    await running.catch(() => undefined);
  }
}

/** Rejects when `signal` aborts; `dispose` stops listening. */
function abortion(
  signal: AbortSignal,
  where: string,
  timeoutMs: number,
): { promise: Promise<never>; dispose(): void } {
  let fail = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    fail = () =>
      reject(
        new Error(
          `Cannot ${where}: kubectl did not start forwarding within ${timeoutMs / 1000} s`,
        ),
      );
  });
  if (signal.aborted) fail();
  else signal.addEventListener("abort", fail, { once: true });
  return { promise, dispose: () => signal.removeEventListener("abort", fail) };
}
