/**
 * Helm release Secrets in helm's exact storage format, for seeding (e.g. a
 * release stuck in `pending-install`) and for reading what helm stored.
 *
 * Storage: Secret `sh.helm.release.v1.<name>.v<revision>` of type
 * `helm.sh/release.v1`, labels `name`, `owner=helm`, `status`, `version`,
 * `createdAt`, `modifiedAt`; `data.release` holds base64(gzip(json)), so in
 * JSON it is base64 applied twice.
 *
 * @module
 */

import { fromBase64, type KubeObject, type Rec, rec, toBase64, utf8Base64 } from "./object.ts";

/** A release status as helm stores it. */
export type HelmReleaseStatus =
  | "unknown"
  | "deployed"
  | "uninstalled"
  | "superseded"
  | "failed"
  | "uninstalling"
  | "pending-install"
  | "pending-upgrade"
  | "pending-rollback";

/** What goes into a seeded release. */
export interface HelmReleaseOptions {
  name: string;
  namespace?: string;
  revision?: number;
  status?: HelmReleaseStatus;
  chart?: { name: string; version: string; appVersion?: string };
  manifest?: string;
  values?: Rec;
  description?: string;
  /** Extra labels on the Secret (helm's `--labels`). */
  labels?: Record<string, string>;
  firstDeployed?: Date;
  lastDeployed?: Date;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The release JSON helm would store. */
export function helmReleaseRecord(options: HelmReleaseOptions): Rec {
  const namespace = options.namespace ?? "default";
  const chart = options.chart ?? { name: options.name, version: "0.1.0" };
  const first = (options.firstDeployed ?? new Date()).toISOString();
  const last = (options.lastDeployed ?? options.firstDeployed ?? new Date()).toISOString();
  const status = options.status ?? "deployed";
  return {
    name: options.name,
    info: {
      first_deployed: first,
      last_deployed: last,
      deleted: "",
      description: options.description ??
        (status === "deployed"
          ? "Install complete"
          : status.startsWith("pending")
          ? "Preparing"
          : status),
      status,
    },
    chart: {
      metadata: {
        name: chart.name,
        version: chart.version,
        ...(chart.appVersion ? { appVersion: chart.appVersion } : {}),
        apiVersion: "v2",
        type: "application",
      },
      lock: null,
      templates: [],
      values: {},
      schema: null,
      files: [],
    },
    config: options.values ?? {},
    manifest: options.manifest ?? "",
    version: options.revision ?? 1,
    namespace,
    apply_method: "ssa",
  };
}

/** Builds the release Secret (JSON form, as `kubectl get secret -o json` shows it). */
export async function helmReleaseSecret(options: HelmReleaseOptions): Promise<KubeObject> {
  const record = helmReleaseRecord(options);
  const revision = options.revision ?? 1;
  const stored = toBase64(await gzip(new TextEncoder().encode(JSON.stringify(record))));
  const now = String(Math.floor(Date.now() / 1000));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `sh.helm.release.v1.${options.name}.v${revision}`,
      namespace: options.namespace ?? "default",
      labels: {
        ...(options.labels ?? {}),
        name: options.name,
        owner: "helm",
        status: options.status ?? "deployed",
        version: String(revision),
        createdAt: now,
        modifiedAt: now,
      },
    },
    type: "helm.sh/release.v1",
    data: { release: utf8Base64(stored) },
  };
}

/** Reads the release JSON out of a release Secret. */
export async function decodeHelmRelease(secret: KubeObject): Promise<Rec> {
  const outer = rec(secret.data).release;
  if (typeof outer !== "string") {
    throw new Error(`Secret "${secret.metadata.name}" has no data.release`);
  }
  const inner = new TextDecoder().decode(fromBase64(outer));
  let bytes = fromBase64(inner);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  return JSON.parse(new TextDecoder().decode(bytes));
}
