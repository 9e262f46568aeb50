/**
 * Helm releases as their release Secrets describe them: helm labels each
 * revision's Secret with the release's name, revision and status (and
 * meshup's `--labels`), and its payload holds the chart.
 */
import { FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import { releaseChart } from "./release_payload.ts";

type Json = Record<string, unknown>;

export interface ReleaseState {
  name: string;
  namespace: string;
  revision: number;
  /** deployed, failed, pending-install, pending-upgrade, pending-rollback, superseded, uninstalling */
  status: string;
  fingerprint?: string;
  /** the latest revision's labels (helm's and `--labels`) */
  labels?: Record<string, string>;
  /** the newest revision whose status is `deployed`, if any (what `helm rollback` can return to) */
  lastDeployed?: number;
  /** the latest revision's chart name and version, from its payload (when it can be read) */
  chart?: string;
  chartVersion?: string;
}

/** Each release's latest revision (by `namespace/name`), from its release Secrets. */
export async function latestReleases(
  secrets: readonly Json[],
): Promise<Map<string, ReleaseState>> {
  const out = new Map<string, ReleaseState>();
  const deployed = new Map<string, number>();
  const latest = new Map<string, Json>();
  for (const item of secrets) {
    const meta = item.metadata as { namespace: string; labels?: Record<string, string> };
    const labels = meta.labels ?? {};
    if (!labels.name || !labels.version) continue;
    const state: ReleaseState = {
      name: labels.name,
      namespace: meta.namespace,
      revision: Number(labels.version),
      status: labels.status ?? "unknown",
      ...(labels[FINGERPRINT_KEY] ? { fingerprint: labels[FINGERPRINT_KEY] } : {}),
      labels,
    };
    const key = `${state.namespace}/${state.name}`;
    if (state.status === "deployed") {
      deployed.set(key, Math.max(deployed.get(key) ?? 0, state.revision));
    }
    const prev = out.get(key);
    if (!prev || prev.revision < state.revision) {
      out.set(key, state);
      latest.set(key, item);
    }
  }
  for (const [key, revision] of deployed) out.get(key)!.lastDeployed = revision;
  // the chart of each latest revision (an upgrade's order and refusal need its version)
  await Promise.all([...latest].map(async ([key, item]) => {
    const chart = await releaseChart(item);
    if (chart) Object.assign(out.get(key)!, { chart: chart.chart, chartVersion: chart.version });
  }));
  return out;
}
