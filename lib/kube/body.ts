/**
 * Reading a fetch body under a signal. Deno's fetch does not always end a
 * body read that is already waiting when the request's signal aborts (about
 * one abort in 60 of a watch stream, over HTTP/1.1 and HTTP/2 alike, left
 * the read waiting until the server closed the stream), so a request's
 * deadline alone does not bound its body. A stream read chunk by chunk is
 * cancelled on abort ({@link cancelOnAbort}), which ends a waiting read at
 * once; a whole body is read natively and given up on abort
 * ({@link readText}, {@link readBytes}).
 *
 * @module
 */

/** Cancels `reader` when `signal` aborts; returns the function that stops listening. */
export function cancelOnAbort(
  reader: ReadableStreamDefaultReader<unknown>,
  signal: AbortSignal | undefined,
): () => void {
  if (!signal) return () => {};
  const cancel = (): void => void reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) {
    cancel();
    return () => {};
  }
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

/** The whole body as text; rejects with the signal's reason once it aborts, whatever the transport does. */
export function readText(res: Response, signal?: AbortSignal): Promise<string> {
  return untilAborted(res.text(), signal);
}

/** The whole body (see {@link readText}). */
export function readBytes(res: Response, signal?: AbortSignal): Promise<Uint8Array> {
  return untilAborted(res.bytes(), signal);
}

/**
 * `read`, or the signal's reason as soon as it aborts. The body stays locked
 * by its native read, which the fetch's own abort ends in all but the rare
 * case above; that read is then left to the server's end of the stream.
 */
function untilAborted<T>(read: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return read;
  read.catch(() => {}); // settled after an abort: nobody waits for it any more
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener("abort", abort, { once: true });
    read.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
