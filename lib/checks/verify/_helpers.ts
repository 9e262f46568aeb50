/** Small helpers the verify checks share. */
import type { Json } from "../../kube/kube.ts";

export function labelsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
}

/** `k=v,k2=v2` */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
