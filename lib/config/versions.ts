/**
 * The versions meshup installs and the one table of what each Istio line
 * supports: the Gateway API release it is built against (the default of
 * gatewayApi.version, the gateway-api target, doctor) and the Kubernetes
 * minors it supports (doctor). Plus the Kiali releases known not to work with
 * an Istio line.
 *
 * Sources: istio.io "Supported Releases" (Kubernetes ranges), each line's
 * release notes (Gateway API), kiali.io "Prerequisites: Version Compatibility"
 * and its data file kiali/kiali.io data/compatibility/istio.yaml (Kiali).
 */

/** The Istio release meshup installs by default. */
export const DEFAULT_ISTIO_VERSION = "1.30.3";

/**
 * The kiali-operator chart meshup installs by default: Kiali's newest release
 * (v2.32.0: kiali/kiali.io#1012 release notes, community-operators#9286).
 * Since Kiali 2.4 each release is tested against every supported Istio line,
 * so the newest one fits every line below.
 */
export const DEFAULT_KIALI_VERSION = "2.32.0";

/** One supported Istio minor line. */
export interface IstioLine {
  /** `1.30` */
  line: string;
  /** the Gateway API release the line is built against (`v1.5.1`) */
  gatewayApi: string;
  /** Kubernetes minors the line supports, inclusive: [32, 36] is 1.32-1.36 */
  kubernetes: readonly [number, number];
}

/** Every Istio line meshup knows, oldest first (errata 3 and 10). */
export const ISTIO_LINES: readonly IstioLine[] = [
  { line: "1.27", gatewayApi: "v1.3.0", kubernetes: [29, 33] },
  { line: "1.28", gatewayApi: "v1.4.0", kubernetes: [30, 34] },
  { line: "1.29", gatewayApi: "v1.4.0", kubernetes: [31, 35] },
  { line: "1.30", gatewayApi: "v1.5.1", kubernetes: [32, 36] },
];

/** Istio minor line -> Gateway API release it is built against. */
export const GATEWAY_API_FOR_ISTIO: Readonly<Record<string, string>> = Object.fromEntries(
  ISTIO_LINES.map((l) => [l.line, l.gatewayApi]),
);

/** Istio minor line -> Kubernetes minors it supports, inclusive. */
export const K8S_RANGE_FOR_ISTIO: Readonly<Record<string, readonly [number, number]>> = Object
  .fromEntries(ISTIO_LINES.map((l) => [l.line, l.kubernetes]));

/** `1.30.3` or `v1.30.3-rc.0` -> `1.30`; undefined when unparseable. */
export function istioLineOf(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(\.|$)/.exec(version.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** The table's row for a version's line, if the line is known. */
export function istioLine(version: string): IstioLine | undefined {
  const line = istioLineOf(version);
  return ISTIO_LINES.find((l) => l.line === line);
}

/** A Kiali release (or releases) known not to work with an Istio line. */
export interface KialiIncompatibility {
  /** Istio minor line: `1.17` */
  istio: string;
  /** Kiali versions: exact (`1.63.0`) or a whole minor (`1.73`) */
  kiali: readonly string[];
  /** what goes wrong */
  note: string;
  /** where it is written down */
  source: string;
}

const KIALI_COMPAT_DATA = "kiali/kiali.io data/compatibility/istio.yaml";

/**
 * Kiali's listed exceptions. Kiali's prerequisites page lists none for the
 * lines in ISTIO_LINES (1.27-1.30), so this list holds only older lines'
 * entries: they keep the check honest (it is tested with them) until Kiali
 * lists one for a supported line.
 */
export const KIALI_INCOMPATIBILITIES: readonly KialiIncompatibility[] = [
  {
    istio: "1.16",
    kiali: ["1.62.0", "1.63.0", "1.63.1"],
    note: "a regression fixed in Kiali 1.63.2",
    source: KIALI_COMPAT_DATA,
  },
  {
    istio: "1.17",
    kiali: ["1.63.0", "1.63.1"],
    note: "a regression fixed in Kiali 1.63.2",
    source: KIALI_COMPAT_DATA,
  },
  {
    istio: "1.20",
    kiali: ["1.73"],
    note: "Kiali 1.73 does not support Istio 1.20",
    source: "kiali/kiali#6858",
  },
];

/** The listed exceptions that match this Kiali release and Istio version. */
export function kialiIncompatibilities(
  kialiVersion: string,
  istioVersion: string,
  table: readonly KialiIncompatibility[] = KIALI_INCOMPATIBILITIES,
): KialiIncompatibility[] {
  const line = istioLineOf(istioVersion);
  const kiali = kialiVersion.trim().replace(/^v/, "");
  return table.filter((e) =>
    e.istio === line && e.kiali.some((k) => kiali === k || kiali.startsWith(`${k}.`))
  );
}
