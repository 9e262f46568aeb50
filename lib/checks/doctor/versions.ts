/**
 * Kubernetes and Istio versions: which Kubernetes minors each Istio line
 * supports, and which lines are near or past their end of life (errata 10).
 * The verdicts are pure functions; the checks feed them the live server
 * version and the config.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import type { Config } from "../../config/config.ts";
import { ISTIO_LINES, K8S_RANGE_FOR_ISTIO, kialiIncompatibilities } from "../../config/versions.ts";

export { K8S_RANGE_FOR_ISTIO };

/** Newest Istio line the version table knows; lines after it are "unknown". */
const NEWEST_KNOWN_LINE = Number(ISTIO_LINES[ISTIO_LINES.length - 1].line.split(".")[1]);
/** Lines at or below this are end of life (errata 10: 1.26 is EOL). */
const LAST_EOL_LINE = 26;
/** Lines at or below this (and above the EOL ones) are near their end of life. */
const LAST_NEAR_EOL_LINE = 27;

export const istioLine: CheckDef = {
  id: "istio-line",
  title: "Istio line",
  run: (ctx) => Promise.resolve(istioLineCheck(ctx.config)),
};

export const kialiIstio: CheckDef = {
  id: "kiali-istio",
  title: "Kiali vs Istio",
  appliesTo: (config) => config.kiali.enabled,
  run: (ctx) =>
    Promise.resolve(kialiIstioCheck(ctx.config.kiali.version, ctx.config.istio.version)),
};

export const k8sVersion: CheckDef = {
  id: "k8s-version",
  title: "k8s version",
  run: checkK8sVersion,
};

async function checkK8sVersion(ctx: CheckContext): Promise<CheckOutcome> {
  const server = await ctx.version();
  return k8sVersionCheck(server.ok ? server.gitVersion : "", ctx.config.istio.version);
}

/** `v1.35.0` or `v1.30.4-gke.100` -> [1, 35]; undefined when unparseable. */
export function parseMinor(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Is this Kubernetes version inside the supported range of the configured Istio line? */
export function k8sVersionCheck(serverVersion: string, istioVersion: string): CheckOutcome {
  const line = istioVersion.split(".").slice(0, 2).join(".");
  const range = K8S_RANGE_FOR_ISTIO[line];
  const k8s = parseMinor(serverVersion);
  if (!k8s) {
    return {
      status: "warn",
      detail: `cannot read the server version "${serverVersion}"`,
      hint: "check `kubectl version -o json`",
    };
  }
  if (!range) {
    return {
      status: "warn",
      detail: `${serverVersion}: no supported Kubernetes range known for Istio ${line}`,
      hint: `known lines: ${Object.keys(K8S_RANGE_FOR_ISTIO).join(", ")}; check istio.io's ` +
        "supported releases page",
    };
  }
  const shown = `${serverVersion} is`;
  const span = `(1.${range[0]}-1.${range[1]})`;
  if (k8s[0] === 1 && k8s[1] >= range[0] && k8s[1] <= range[1]) {
    return { status: "pass", detail: `${shown} supported by Istio ${line} ${span}` };
  }
  const fits = Object.entries(K8S_RANGE_FOR_ISTIO)
    .filter(([, [lo, hi]]) => k8s[0] === 1 && k8s[1] >= lo && k8s[1] <= hi)
    .map(([l]) => l);
  const alternative = fits.length > 0
    ? `, or set istio.version to a ${fits.join("/")} release`
    : "";
  if (k8s[0] === 1 && k8s[1] > range[1]) {
    return {
      status: "warn",
      detail: `${shown} newer than Istio ${line} supports ${span}`,
      hint: `use a newer Istio line if there is one${alternative}`,
    };
  }
  return {
    status: "fail",
    detail: `${shown} older than Istio ${line} supports ${span}`,
    hint: `upgrade the cluster to Kubernetes 1.${range[0]} or later${alternative}`,
  };
}

/** End-of-life status of the configured Istio line. */
export function istioLineCheck(config: Config): CheckOutcome {
  const version = config.istio.version;
  const [major, minor] = parseMinor(version) ?? [0, 0];
  const line = `${major}.${minor}`;
  const newest = `1.${NEWEST_KNOWN_LINE}`;
  const upgrade =
    `set istio.version to a ${newest} release (the default is 1.${NEWEST_KNOWN_LINE})`;
  if (major !== 1 || minor > NEWEST_KNOWN_LINE) {
    return {
      status: "warn",
      detail: `Istio ${version}: line ${line} is not known to this meshup`,
      hint: `the version tables stop at ${newest}; check istio.io's supported releases page`,
    };
  }
  if (minor <= LAST_EOL_LINE) {
    return {
      status: "warn",
      detail: `Istio ${version}: line ${line} is end of life (no more security fixes)`,
      hint: upgrade,
    };
  }
  if (minor <= LAST_NEAR_EOL_LINE) {
    return {
      status: "warn",
      detail: `Istio ${version}: line ${line} is near its end of life`,
      hint: upgrade,
    };
  }
  return { status: "pass", detail: `Istio ${version}: line ${line} is supported` };
}

/**
 * Kiali tests each release (since 2.4) against every supported Istio line and
 * lists only the exceptions: warn when the pair is one of them.
 */
export function kialiIstioCheck(
  kialiVersion: string,
  istioVersion: string,
  table?: Parameters<typeof kialiIncompatibilities>[2],
): CheckOutcome {
  const found = kialiIncompatibilities(kialiVersion, istioVersion, table);
  const pair = `Kiali ${kialiVersion} with Istio ${istioVersion}`;
  if (found.length === 0) {
    return { status: "pass", detail: `${pair}: no known incompatibility` };
  }
  return {
    status: "warn",
    detail: `${pair}: listed as incompatible (${found.map((f) => f.note).join("; ")})`,
    hint: `set kiali.version to a release Kiali lists for Istio ${found[0].istio} (see ${
      found.map((f) => f.source).join(", ")
    }; kiali.io prerequisites, Version Compatibility)`,
  };
}
