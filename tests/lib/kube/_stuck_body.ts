/** Test helpers for bodies whose reads never end. */

/**
 * A body that gives `chunks`, then neither ends nor answers a signal: what a
 * fetch body looks like when the request's abort does not reach its read.
 */
export function stuckBody(chunks: string[] = []): { res: Response; cancelled: () => boolean } {
  let cancelled = false;
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
    },
    pull: () => new Promise<void>(() => {}),
    cancel() {
      cancelled = true;
    },
  });
  return { res: new Response(stream), cancelled: () => cancelled };
}

/** `promise`, or a rejection naming `what` if it has not settled after `ms` (a hang, not a speed). */
export async function settles<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}
