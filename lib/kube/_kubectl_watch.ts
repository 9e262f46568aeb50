/**
 * The watch of a kind through `kubectl get --watch --output-watch-events`,
 * for kubeconfigs the in-process client cannot serve. kubectl ends a watch
 * when the server closes it; it is restarted (relisting) until aborted.
 */
import { kubectlTarget, type KubeTarget, resourceType } from "./argv.ts";
import { JsonStreamSplitter, type ProcessRunner } from "./process.ts";
import { abortableSleep } from "./retry.ts";

export type WatchHandler = (type: string, obj: Record<string, unknown>) => void;

/** `kubectl get --watch` of a kind (one namespace, or one name by field selector). */
export function kubectlWatchArgv(
  query: { apiVersion: string; kind: string; namespace?: string; fieldSelector?: string },
  target: KubeTarget,
): string[] {
  return [
    "kubectl",
    "get",
    resourceType(query),
    ...(query.namespace ? [`--namespace=${query.namespace}`] : []),
    ...(query.fieldSelector ? [`--field-selector=${query.fieldSelector}`] : []),
    "--watch",
    "--output-watch-events",
    "-o",
    "json",
    ...kubectlTarget(target),
  ];
}

/** Runs `argv` (a `kubectl get --watch --output-watch-events -o json`) until aborted. */
export async function kubectlWatch(
  proc: ProcessRunner,
  argv: readonly string[],
  options: { signal: AbortSignal; onObject: WatchHandler; onCommand?: (argv: string[]) => void },
): Promise<void> {
  let restarts = 0;
  while (!options.signal.aborted) {
    const splitter = new JsonStreamSplitter();
    options.onCommand?.([...argv]);
    await proc.run(argv, {
      signal: options.signal,
      onStdout(chunk) {
        for (
          const ev of splitter.push(chunk) as { type?: string; object?: Record<string, unknown> }[]
        ) {
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
