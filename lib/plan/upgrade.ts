/**
 * Whether the installed Istio can go to a target version in one in-place
 * step, pure. Istio's upgrade docs (istio.io "Upgrade with Helm", ambient):
 * the control plane goes first; istio-cni and ztunnel 1.x work with a control
 * plane at 1.x and 1.x+1 only, so no component may be more than one minor
 * behind, and no minor may be skipped. A downgrade across minors is refused
 * too. Used by `doctor` and by the run layer before an upgrade.
 */

/** The installed Istio releases' chart versions (from their Helm releases). */
export interface InstalledIstio {
  /** istio/base: the CRDs */
  base?: string;
  /** istio/istiod */
  controlPlane?: string;
  /** istio/cni, istio/ztunnel, istio/gateway: release name -> version */
  dataPlane?: Readonly<Record<string, string>>;
}

export type UpgradeChange = "install" | "none" | "patch" | "minor" | "downgrade" | "refused";

export interface UpgradePath {
  /** true when one in-place step from what is installed to the target is allowed */
  ok: boolean;
  change: UpgradeChange;
  /** the control plane's installed version (else the lowest installed), when any */
  from?: string;
  /**
   * The versions to go through, in order, ending with the target: `[target]`
   * when allowed, `["1.29.x", "1.30.3"]` when a minor would be skipped, `[]`
   * when nothing changes or no path exists (a downgrade across minors).
   */
  steps: string[];
  /** why it is refused (or what is unusual), one line */
  reason?: string;
}

type Version = [number, number, number];

function parse(version: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Can the installed Istio go to `target` in place, and if not, through which versions? */
export function upgradePath(installed: InstalledIstio, target: string): UpgradePath {
  const t = parse(target);
  if (!t) {
    return { ok: false, change: "refused", steps: [], reason: `"${target}" is not a version` };
  }
  const parts: [string, string][] = [
    ...(installed.base ? [["base", installed.base] as [string, string]] : []),
    ...(installed.controlPlane ? [["istiod", installed.controlPlane] as [string, string]] : []),
    ...Object.entries(installed.dataPlane ?? {}),
  ];
  const known = parts.map(([name, v]) => ({ name, version: v, parsed: parse(v) }));
  const unreadable = known.find((p) => !p.parsed);
  if (unreadable) {
    return {
      ok: false,
      change: "refused",
      steps: [],
      reason: `cannot read the installed ${unreadable.name} version "${unreadable.version}"`,
    };
  }
  if (known.length === 0) return { ok: true, change: "install", steps: [target] };
  const all = known.map((p) => ({ ...p, parsed: p.parsed! }));
  const lowest = all.reduce((a, b) => (compare(b.parsed, a.parsed) < 0 ? b : a));
  const highest = all.reduce((a, b) => (compare(b.parsed, a.parsed) > 0 ? b : a));
  const from = installed.controlPlane ?? lowest.version;
  const other = all.find((p) => p.parsed[0] !== t[0]);
  if (other) {
    return {
      ok: false,
      change: "refused",
      from,
      steps: [],
      reason: `${other.name} ${other.version} and ${target} are different major versions`,
    };
  }
  if (highest.parsed[1] > t[1]) {
    return {
      ok: false,
      change: "refused",
      from,
      steps: [],
      reason: `downgrade across minors: ${highest.name} ${highest.version} → ${target}`,
    };
  }
  if (lowest.parsed[1] < t[1] - 1) {
    const steps = [];
    for (let minor = lowest.parsed[1] + 1; minor < t[1]; minor++) steps.push(`${t[0]}.${minor}.x`);
    steps.push(target);
    const gap = t[1] - lowest.parsed[1];
    return {
      ok: false,
      change: "refused",
      from,
      steps,
      reason: `${lowest.name} ${lowest.version} is ${gap} minors behind ${target}: ` +
        "Istio upgrades one minor at a time, control plane first",
    };
  }
  if (all.every((p) => compare(p.parsed, t) === 0)) {
    return { ok: true, change: "none", from, steps: [] };
  }
  if (all.some((p) => p.parsed[1] !== t[1])) {
    return { ok: true, change: "minor", from, steps: [target] };
  }
  if (all.some((p) => compare(p.parsed, t) > 0)) {
    return {
      ok: true,
      change: "downgrade",
      from,
      steps: [target],
      reason: `patch downgrade: ${highest.name} ${highest.version} → ${target}`,
    };
  }
  return { ok: true, change: "patch", from, steps: [target] };
}

/** "first 1.29.x, then 1.30.3" for a refused path's steps; "" when there are none. */
export function stepsText(steps: readonly string[]): string {
  if (steps.length === 0) return "";
  if (steps.length === 1) return steps[0];
  return `first ${steps.slice(0, -1).join(", then ")}, then ${steps[steps.length - 1]}`;
}
