/**
 * `verify --strict`'s reads and writes through kubectl, for a kubeconfig
 * the in-process client cannot serve: the same {@link StrictCluster}
 * contract, each write one kubectl command (shown as it runs), each within
 * the caller's signal.
 *
 * @module
 */

import { resourceArg } from "../../kube/argv.ts";
import type { Json, Kube } from "../../kube/kube.ts";
import type { CommandHooks } from "../../kube/kube.ts";
import { podToEnd, type Ref, type StrictCluster } from "./_strict_cluster.ts";

/** kubectl as a {@link StrictCluster}; `onCommand` sees each command. */
export function clusterFromKubectl(
  kube: Kube,
  onCommand: (argv: string[]) => void = () => {},
): StrictCluster {
  const hooks = (signal: AbortSignal): CommandHooks => ({ signal, onCommand });
  const ns = (namespace?: string): string[] => namespace ? ["-n", namespace] : [];
  const write = async (verb: string[], obj: Json, signal: AbortSignal): Promise<Json> => {
    const r = await kube.exec(
      kube.kubectlArgv(...verb, "-f", "-", "-o", "json"),
      { ...hooks(signal), stdin: JSON.stringify(obj) },
    );
    return JSON.parse(r.stdout) as Json;
  };
  return {
    list: (kind, signal) => kube.list(kind, hooks(signal)),
    get: (ref, signal) => kube.getObject(ref, hooks(signal)),
    create: (obj, signal) => write(["create"], obj, signal),
    apply: (obj, signal) =>
      write(["apply", "--server-side", "--field-manager=meshup", "--force-conflicts"], obj, signal),
    delete: async (ref: Ref, signal) => {
      await kube.exec(
        kube.kubectlArgv(
          "delete",
          resourceArg(ref),
          ...ns(ref.namespace),
          "--ignore-not-found",
          "--wait=false",
        ),
        hooks(signal),
      );
    },
    finishedPod: (namespace, name, signal) =>
      podToEnd((query, onObject, signal) =>
        kube.watch(query, {
          signal,
          onCommand,
          onObject: (_type, obj) => onObject(obj as Json),
        }), { namespace, name, signal }),
  };
}
