/**
 * Reading a fetch body under a signal. Deno's fetch does not always end a
 * body read that is already waiting when the request's signal aborts (about
 * one abort in 60 of a watch stream, over HTTP/1.1 and HTTP/2 alike, left
 * the read waiting until the server closed the stream), so a request's
 * deadline alone does not bound its body. These cancel the reader
 * themselves on abort, which ends a waiting read at once.
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

/** The whole body; rejects with the signal's reason once it aborts, whatever the transport does. */
export async function readBytes(res: Response, signal?: AbortSignal): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const stop = cancelOnAbort(reader, signal);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    stop();
  }
  signal?.throwIfAborted();
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The whole body as UTF-8 text (see {@link readBytes}). */
export async function readText(res: Response, signal?: AbortSignal): Promise<string> {
  return new TextDecoder().decode(await readBytes(res, signal));
}
