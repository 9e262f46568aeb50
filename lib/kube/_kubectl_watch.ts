/**
 * The watch of a kind through `kubectl get --watch --output-watch-events`,
 * for kubeconfigs the in-process client cannot serve. kubectl ends a watch
 * when the server closes it; it is restarted (relisting) until aborted.
 */
import { resourceType } from "./argv.ts";
import type { Json, KindQuery, Kube } from "./kube.ts";
import { JsonStreamSplitter } from "./process.ts";
import { abortableSleep } from "./retry.ts";

export type WatchHandler = (type: string, obj: Json) => void;

export async function kubectlWatch(
  kube: Kube,
  query: KindQuery,
  options: { signal: AbortSignal; onObject: WatchHandler; onCommand?: (argv: string[]) => void },
): Promise<void> {
  const argv = kube.kubectlArgv(
    "get",
    resourceType(query),
    ...(query.namespace ? [`--namespace=${query.namespace}`] : []),
    ...(query.fieldSelector ? [`--field-selector=${query.fieldSelector}`] : []),
    "--watch",
    "--output-watch-events",
    "-o",
    "json",
  );
  let restarts = 0;
  while (!options.signal.aborted) {
    const splitter = new JsonStreamSplitter();
    options.onCommand?.(argv);
    await kube.proc.run(argv, {
      signal: options.signal,
      onStdout(chunk) {
        for (const ev of splitter.push(chunk) as { type?: string; object?: Json }[]) {
          if (ev.object && ev.type) options.onObject(ev.type, ev.object);
        }
      },
    }).catch(() => undefined);
    if (options.signal.aborted) break;
    // the stream ended (server timeout, dropped connection): watch again,
    // pausing briefly only if it keeps ending at once
    restarts++;
    if (restarts > 3) {
      await abortableSleep(Math.min(2000, 100 * restarts), options.signal).catch(() => undefined);
    }
  }
}
