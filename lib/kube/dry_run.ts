/**
 * What a server-side apply would make of objects, without storing it
 * (`dryRun=All`): the objects as the API server answers, one per object, in
 * order. In process through the client, side by side (no process); else
 * `kubectl apply --server-side --dry-run=server -o json -f FILE`.
 */
import type { KubeTarget } from "./argv.ts";
import { kubectlTarget } from "./argv.ts";
import type { KubeClient } from "./client.ts";
import type { ProcResult } from "./process.ts";
import type { ObjectRef } from "../plan/plan.ts";

type Json = Record<string, unknown>;

export interface DryRunOptions {
  /** the field manager the apply would be made as */
  fieldManager: string;
  /** the objects' refs (an object without a namespace takes its ref's, for namespaced kinds) */
  refs: readonly ObjectRef[];
  /** the kubectl fallback: writes the objects' manifest and returns its path */
  file: () => Promise<string>;
  namespace?: string;
  signal?: AbortSignal;
}

/** `kubectl apply --server-side --dry-run=server --force-conflicts -o json -f FILE`. */
export function kubectlDryRunApplyArgv(
  file: string,
  options: { target: KubeTarget; fieldManager: string; namespace?: string },
): string[] {
  return [
    "kubectl",
    "apply",
    "--server-side",
    "--dry-run=server",
    `--field-manager=${options.fieldManager}`,
    "--force-conflicts",
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    "-f",
    file,
    "-o",
    "json",
    ...kubectlTarget(options.target),
  ];
}

/** Dry-runs each object's apply through the client, side by side. */
export async function dryRunInProcess(
  api: KubeClient,
  objects: readonly Json[],
  options: DryRunOptions,
): Promise<Json[]> {
  const signal = options.signal ? { signal: options.signal } : {};
  return await Promise.all(objects.map(async (obj, i) => {
    const meta = (obj.metadata ?? {}) as Json;
    const ref = options.refs[i];
    let body = obj;
    if (!meta.namespace && ref?.namespace) {
      const info = await api.resource(ref.apiVersion, ref.kind, signal);
      if (info?.namespaced) body = { ...obj, metadata: { ...meta, namespace: ref.namespace } };
    }
    return await api.apply(body, {
      fieldManager: options.fieldManager,
      force: true,
      dryRun: true,
      ...signal,
    }) as Json;
  }));
}

/** The objects of kubectl's `-o json` answer (one object, or a List). */
export function dryRunOutput(r: ProcResult): Json[] {
  const out = r.stdout.trim();
  if (out === "") return [];
  const parsed = JSON.parse(out) as Json;
  return parsed.kind === "List" ? (parsed.items as Json[]) : [parsed];
}
