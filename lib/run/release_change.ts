/**
 * What a `helm-release` step does to its release's chart version, pure:
 * `install` (no release), `upgrade` (another chart version, down included),
 * or `update` (the same version, or one the step's source does not name).
 * Used by the run's upgrade order and log lines, and by `diff`.
 */
import type { HelmReleaseStep } from "../plan/plan.ts";

export type ReleaseChangeKind = "install" | "upgrade" | "update";

export interface ReleaseChange {
  kind: ReleaseChangeKind;
  /** the installed chart version, when a release is there */
  from?: string;
  /** the chart version the step installs, when its source names one */
  to?: string;
}

/** `NAME-VERSION.tgz`, the layout of `helm package` and of a local charts folder. */
const PACKAGE = /^(.+?)-(v?\d+\.\d+\.\d+[^/]*)\.tgz$/;

/**
 * The chart's name and version as the step's source names them: a
 * repository or OCI reference says both; a package says them in its file
 * name; a chart folder says only its name (its version is in Chart.yaml).
 */
export function chartOf(step: HelmReleaseStep): { name?: string; version?: string } {
  const c = step.chart;
  switch (c.type) {
    case "repo":
      return { name: c.chart, version: c.version };
    case "oci":
      return { name: c.ref.split("/").pop(), version: c.version };
    case "tgz": {
      const m = PACKAGE.exec(c.path.split("/").pop() ?? "");
      return m ? { name: m[1], version: m[2] } : {};
    }
    case "dir":
      return { name: c.path.replace(/\/+$/, "").split("/").pop() };
  }
}

/** The change of chart version from what is installed (undefined: nothing) to what the step installs. */
export function releaseChange(
  installedChartVersion: string | undefined,
  step: HelmReleaseStep,
): ReleaseChange {
  const to = chartOf(step).version;
  if (installedChartVersion === undefined) return { kind: "install", ...(to ? { to } : {}) };
  if (!to || to === installedChartVersion) {
    return { kind: "update", from: installedChartVersion, to: to ?? installedChartVersion };
  }
  return { kind: "upgrade", from: installedChartVersion, to };
}

/** One line for the run's output: `upgrade istiod 1.30.3 → 1.30.4`, `install ztunnel 1.30.4`. */
export function releaseChangeText(change: ReleaseChange, release: string): string {
  if (change.kind === "upgrade") return `upgrade ${release} ${change.from} → ${change.to}`;
  return `${change.kind} ${release}${change.to ? ` ${change.to}` : ""}`;
}
