/**
 * The chart of a Helm release, read from its release Secret (`owner=helm`):
 * `data.release` is base64 (the Secret's own encoding) of base64 of gzipped
 * JSON. `releaseChart` returns the chart's name and versions; the payload
 * also holds the release's values, which may be secret: `releaseConfig`
 * returns them for comparison only, and no caller prints them.
 */
import type { Json } from "./kube.ts";

export interface ReleaseChart {
  /** the release's name (the Secret's `name` label) */
  release: string;
  namespace: string;
  revision: number;
  status: string;
  /** chart name: `istiod` */
  chart: string;
  /** chart version: `1.30.3` */
  version: string;
  appVersion?: string;
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return await new Response(stream).text();
}

/** The release JSON helm stored in a release Secret; undefined when it is not one. */
async function payload(secret: Json): Promise<Json | undefined> {
  const labels = (((secret.metadata ?? {}) as Json).labels ?? {}) as Record<string, string>;
  const data = ((secret.data ?? {}) as Record<string, string>).release;
  if (labels.owner !== "helm" || !labels.name || typeof data !== "string") return undefined;
  const bytes = fromBase64(fromBase64Text(data));
  // helm gzips the JSON; a payload without the gzip magic is plain JSON
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b
    ? await gunzip(bytes)
    : new TextDecoder().decode(bytes);
  return JSON.parse(text) as Json;
}

/**
 * The values a user gave the release (helm's `config`: its `-f` files and
 * `--set` merged), for comparison only: they may be secret, so a caller
 * shows where they differ, never what they are. Undefined when unreadable.
 */
export async function releaseConfig(secret: Json): Promise<Json | undefined> {
  try {
    const config = (await payload(secret))?.config;
    return typeof config === "object" && config !== null ? config as Json : undefined;
  } catch {
    return undefined;
  }
}

/** The chart of one release Secret; undefined when it is not one or cannot be read. */
export async function releaseChart(secret: Json): Promise<ReleaseChart | undefined> {
  const meta = (secret.metadata ?? {}) as Json;
  const labels = (meta.labels ?? {}) as Record<string, string>;
  try {
    const release = await payload(secret);
    if (!release) return undefined;
    const chartMeta = ((release.chart as Json | undefined)?.metadata ?? {}) as Json;
    if (typeof chartMeta.name !== "string" || typeof chartMeta.version !== "string") {
      return undefined;
    }
    return {
      release: labels.name,
      namespace: String(meta.namespace ?? ""),
      revision: Number(labels.version ?? 0),
      status: labels.status ?? "unknown",
      chart: chartMeta.name,
      version: chartMeta.version,
      ...(typeof chartMeta.appVersion === "string" ? { appVersion: chartMeta.appVersion } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The Secret's base64 decoded to the text helm stored (itself base64). */
function fromBase64Text(data: string): string {
  return new TextDecoder().decode(fromBase64(data));
}

/**
 * The newest revision of every release among these Secrets, by
 * `namespace/name`, with its chart.
 */
export async function latestReleaseCharts(secrets: readonly Json[]): Promise<ReleaseChart[]> {
  const charts = (await Promise.all(secrets.map(releaseChart)))
    .filter((c): c is ReleaseChart => c !== undefined);
  const latest = new Map<string, ReleaseChart>();
  for (const c of charts) {
    const key = `${c.namespace}/${c.release}`;
    const prev = latest.get(key);
    if (!prev || prev.revision < c.revision) latest.set(key, c);
  }
  return [...latest.values()].sort((a, b) =>
    `${a.namespace}/${a.release}`.localeCompare(`${b.namespace}/${b.release}`)
  );
}
