/**
 * What a Helm release holds, read in process from its release Secret
 * (`sh.helm.release.v1.NAME.vN`: base64 of gzip of JSON, base64 again in
 * the Secret's data): the rendered manifest and the chart's `crds/` files,
 * so that `down` knows which CRDs a release would take with it and whether
 * Flux manages it, before anything is removed.
 */
import { parseAllDocuments } from "yaml";
import type { CommandHooks, Json, Kube, ReleaseState } from "../kube/kube.ts";

/** A CRD a release holds. */
export interface ReleaseCrd {
  name: string;
  group: string;
  kind: string;
  /** the storage version, to list its custom resources */
  version: string;
  /** `helm.sh/resource-policy: keep`: helm leaves it on uninstall */
  keep: boolean;
  /** from the chart's `crds/` folder: helm never deletes those */
  crdsFolder: boolean;
}

export interface ReleaseContent {
  /** every object of the manifest and of the chart's `crds/` files */
  objects: Json[];
  crds: ReleaseCrd[];
}

const FLUX_LABEL_PREFIX = "helm.toolkit.fluxcd.io/";

/** The Secret name of one revision of a release. */
export function releaseSecretName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`;
}

/** Reads the latest revision of `rel`; undefined when its Secret is gone. */
export async function readRelease(
  kube: Kube,
  rel: Pick<ReleaseState, "name" | "namespace" | "revision">,
  hooks: CommandHooks = {},
): Promise<ReleaseContent | undefined> {
  const secret = await kube.getObject({
    apiVersion: "v1",
    kind: "Secret",
    name: releaseSecretName(rel.name, rel.revision),
    namespace: rel.namespace,
  }, hooks);
  const data = (secret?.data ?? {}) as Record<string, string>;
  if (!data.release) return undefined;
  const record = await decodeRelease(data.release);
  return releaseContent(record);
}

/** The release JSON from a Secret's `data.release` (base64 of base64 of gzip). */
export async function decodeRelease(encoded: string): Promise<Json> {
  const inner = new TextDecoder().decode(fromBase64(encoded));
  let bytes = fromBase64(inner);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return JSON.parse(new TextDecoder().decode(bytes)) as Json;
}

/** The objects and CRDs of a decoded release. */
export function releaseContent(record: Json): ReleaseContent {
  const manifest = typeof record.manifest === "string" ? record.manifest : "";
  const chart = (record.chart ?? {}) as Json;
  const files = Array.isArray(chart.files) ? chart.files as { name?: string; data?: string }[] : [];
  const crdFiles = files.filter((f) => /^crds\/.+\.ya?ml$/.test(f.name ?? "") && f.data);
  const templated = parseObjects(manifest);
  const folder = crdFiles.flatMap((f) =>
    parseObjects(new TextDecoder().decode(fromBase64(f.data!)))
  );
  return {
    objects: [...templated, ...folder],
    crds: [
      ...templated.flatMap((o) => crdOf(o, false)),
      ...folder.flatMap((o) => crdOf(o, true)),
    ],
  };
}

/**
 * The HelmRelease (`namespace/name`) that manages a release, from Flux's
 * labels on its objects or on its release Secret; undefined when none does.
 */
export function fluxOwner(
  content: ReleaseContent | undefined,
  secretLabels: Record<string, string> = {},
): string | undefined {
  for (const labels of [secretLabels, ...(content?.objects ?? []).map(labelsOf)]) {
    const name = labels[`${FLUX_LABEL_PREFIX}name`];
    if (name) return `${labels[`${FLUX_LABEL_PREFIX}namespace`] ?? "?"}/${name}`;
    if (Object.keys(labels).some((k) => k.startsWith(FLUX_LABEL_PREFIX))) return "?/?";
  }
  return undefined;
}

function labelsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
}

/** The CRDs among objects (a manifest applied by kubectl: kept unless asked). */
export function crdsOf(objects: Json[]): ReleaseCrd[] {
  return objects.flatMap((o) => crdOf(o, false)).map((c) => ({ ...c, keep: true }));
}

function crdOf(o: Json, crdsFolder: boolean): ReleaseCrd[] {
  if (o.kind !== "CustomResourceDefinition") return [];
  const meta = (o.metadata ?? {}) as Json;
  const spec = (o.spec ?? {}) as Json;
  const names = (spec.names ?? {}) as Json;
  const versions = (Array.isArray(spec.versions) ? spec.versions : []) as Json[];
  const version = versions.find((v) => v.storage)?.name ?? versions[0]?.name;
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  if (typeof meta.name !== "string") return [];
  return [{
    name: meta.name,
    group: String(spec.group ?? ""),
    kind: String(names.kind ?? ""),
    version: String(version ?? ""),
    keep: annotations["helm.sh/resource-policy"] === "keep",
    crdsFolder,
  }];
}

function parseObjects(text: string): Json[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown)
    .filter((o): o is Json => o !== null && typeof o === "object" && !Array.isArray(o));
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s.replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
