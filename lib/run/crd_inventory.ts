/**
 * How many custom resources of each of the stack's kinds exist: what
 * `down` leaves behind with the CRDs it keeps, or what `--purge-crds` is
 * about to delete.
 */
import type { CommandHooks, Kube } from "../kube/kube.ts";
import type { ReleaseCrd } from "./release_manifest.ts";

export interface KindCount {
  crd: string;
  kind: string;
  count: number;
}

/** The stack's CRDs that exist, each with the number of its custom resources. */
export async function countCustomResources(
  kube: Kube,
  crds: readonly ReleaseCrd[],
  hooks: CommandHooks = {},
): Promise<KindCount[]> {
  const counts = await Promise.all(crds.map(async (c): Promise<KindCount | undefined> => {
    if (!(await kube.crdExists(c.name, hooks))) return undefined;
    const items = await kube.list({ apiVersion: `${c.group}/${c.version}`, kind: c.kind }, hooks)
      .catch(() => []);
    return { crd: c.name, kind: c.kind, count: items.length };
  }));
  return counts.filter((c): c is KindCount => c !== undefined)
    .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
}

/** `3 AuthorizationPolicy, 1 Kiali`; kinds without objects are left out. */
export function describeCounts(counts: readonly KindCount[]): string {
  const some = counts.filter((c) => c.count > 0);
  return some.length ? some.map((c) => `${c.count} ${c.kind}`).join(", ") : "none";
}

/** The line `down` ends with when it kept the CRDs. */
export function keptMessage(counts: readonly KindCount[]): string {
  if (counts.length === 0) return "No CRDs of the stack are left";
  return `Kept ${counts.length} CRDs of the stack (delete them with --purge-crds); custom resources still in the cluster: ${
    describeCounts(counts)
  }`;
}

/** The warning `down --purge-crds` prints before it removes anything. */
export function purgeMessage(counts: readonly KindCount[], namespaces: readonly string[]): string {
  return `--purge-crds: deleting ${counts.length} CRDs (${
    counts.map((c) => c.crd).join(", ") || "none"
  }) and with them these custom resources: ${describeCounts(counts)}${
    namespaces.length
      ? `; and the namespaces ${namespaces.join(", ")} once their releases are gone`
      : ""
  }`;
}

/** What the down reports need of the run. */
export interface ReportInput {
  kube: Kube;
  settings: { purgeCrds: boolean };
  signal?: AbortSignal;
  emit(body: { type: "log"; level: "info" | "warn"; message: string }): void;
}

/** `--purge-crds`: says what will be lost, before anything is removed. */
export async function announcePurge(
  input: ReportInput,
  inventory: { crds: readonly ReleaseCrd[]; namespaces: readonly string[] },
): Promise<void> {
  if (!input.settings.purgeCrds) return;
  const counts = await countCustomResources(input.kube, inventory.crds, { signal: input.signal });
  const namespaces = (await Promise.all(
    inventory.namespaces.map(async (name) =>
      (await input.kube.getObject({ apiVersion: "v1", kind: "Namespace", name }, {
          signal: input.signal,
        }))
        ? [name]
        : []
    ),
  )).flat();
  input.emit({ type: "log", level: "warn", message: purgeMessage(counts, namespaces) });
}

/** Without `--purge-crds`: says which of the stack's CRDs stay and what they still hold. */
export async function reportKept(
  input: ReportInput,
  inventory: { crds: readonly ReleaseCrd[] },
): Promise<void> {
  if (input.settings.purgeCrds || inventory.crds.length === 0) return;
  const counts = await countCustomResources(input.kube, inventory.crds, { signal: input.signal });
  input.emit({ type: "log", level: "info", message: keptMessage(counts) });
}
