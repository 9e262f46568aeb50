/**
 * The prechecks Istio documents before an upgrade (istio.io "Upgrade with
 * Helm", ambient): the installed releases against the configured
 * istio.version. The skew (control plane, istio-cni and ztunnel within one
 * minor, no skipped minor, no downgrade across minors) and the CRDs (the base
 * chart goes first). The Kubernetes version for the target line is the
 * `k8s-version` check. Versions come from the Helm release Secrets' payloads
 * (chart name and version only).
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";
import { istioLineOf } from "../../config/versions.ts";
import { latestReleaseCharts, type ReleaseChart } from "../../kube/release_payload.ts";
import { type InstalledIstio, stepsText, upgradePath } from "../../plan/upgrade.ts";

export const istioSkew: CheckDef = { id: "istio-skew", title: "Istio upgrade", run: checkSkew };

export const istioCrds: CheckDef = { id: "istio-crds", title: "Istio CRDs", run: checkCrds };

/** Istio's charts by chart name; the data plane ones keyed by release. */
const DATA_PLANE_CHARTS = new Set(["cni", "ztunnel", "gateway"]);

/** The Istio charts installed by Helm in istio-system and the gateway's namespace. */
async function installedCharts(ctx: CheckContext): Promise<ReleaseChart[]> {
  const namespaces = [...new Set([ISTIO_NAMESPACE, ctx.config.gateway.namespace])];
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      ctx.list({ apiVersion: "v1", kind: "Secret" }, { namespace, labelSelector: "owner=helm" })
    ),
  );
  return (await latestReleaseCharts(lists.flat())).filter((c) =>
    c.chart === "base" || c.chart === "istiod" || DATA_PLANE_CHARTS.has(c.chart)
  );
}

/** What `upgradePath` needs, from the installed charts. */
export function installedIstio(charts: readonly ReleaseChart[]): InstalledIstio {
  const base = charts.find((c) => c.chart === "base")?.version;
  const controlPlane = charts.find((c) => c.chart === "istiod")?.version;
  const dataPlane = Object.fromEntries(
    charts.filter((c) => DATA_PLANE_CHARTS.has(c.chart)).map((c) => [c.release, c.version]),
  );
  return {
    ...(base ? { base } : {}),
    ...(controlPlane ? { controlPlane } : {}),
    ...(Object.keys(dataPlane).length > 0 ? { dataPlane } : {}),
  };
}

function shown(charts: readonly ReleaseChart[]): string {
  return charts.map((c) => `${c.release} ${c.version}`).join(", ");
}

async function checkSkew(ctx: CheckContext): Promise<CheckOutcome> {
  const target = ctx.config.istio.version;
  const charts = await installedCharts(ctx);
  return skewCheck(charts, target);
}

/** The skew verdict for these installed charts and the target version. */
export function skewCheck(charts: readonly ReleaseChart[], target: string): CheckOutcome {
  const path = upgradePath(installedIstio(charts), target);
  switch (path.change) {
    case "install":
      return {
        status: "pass",
        detail: `Istio not installed by Helm: meshup will install ${target}`,
      };
    case "none":
      return { status: "pass", detail: `${shown(charts)}: as configured` };
    case "patch":
    case "minor":
    case "downgrade":
      return {
        status: path.change === "downgrade" ? "warn" : "pass",
        detail: `${shown(charts)}: ${path.change} ${path.from} → ${target} in place ` +
          "(base, istiod, then istio-cni, ztunnel and the gateway)",
        ...(path.change === "minor" || path.change === "downgrade"
          ? {
            hint: "ztunnel's restart resets each node's mesh connections; upgrade node by node " +
              "(cordon, drain) where that matters",
          }
          : {}),
      };
    default: {
      const steps = stepsText(path.steps);
      const line = istioLineOf(target) ?? target;
      return {
        status: "fail",
        detail: `${shown(charts)}: cannot go to ${target} in place: ${path.reason}`,
        hint: steps
          ? `set istio.version release by release: ${steps} (run \`deno task up\` after each)`
          : `keep istio.version on the installed line, or \`deno task down\` and install ${line} ` +
            "afresh",
      };
    }
  }
}

async function checkCrds(ctx: CheckContext): Promise<CheckOutcome> {
  const target = ctx.config.istio.version;
  const charts = await installedCharts(ctx);
  const base = charts.find((c) => c.chart === "base");
  if (!base) {
    const present = await ctx.crdExists("peerauthentications.security.istio.io");
    if (present) {
      return {
        status: "warn",
        detail: "Istio CRDs are installed but no istio/base Helm release owns them",
        hint: "they were installed another way (istioctl?): `helm list -n istio-system`; " +
          "meshup's istio:base will adopt or fail on them",
      };
    }
    return { status: "pass", detail: `not installed: istio/base ${target} will install them` };
  }
  return crdsCheck(base.version, charts.find((c) => c.chart === "istiod")?.version, target);
}

/** The CRD verdict: the base chart's version against the control plane and the target. */
export function crdsCheck(
  base: string,
  controlPlane: string | undefined,
  target: string,
): CheckOutcome {
  const [b, cp, t] = [
    istioLineOf(base),
    controlPlane && istioLineOf(controlPlane),
    istioLineOf(target),
  ];
  const minor = (line: string | undefined): number => Number(line?.split(".")[1] ?? NaN);
  if (cp && minor(b) < minor(cp)) {
    return {
      status: "warn",
      detail: `istio/base ${base} (CRDs) is older than istiod ${controlPlane}`,
      hint: "Istio upgrades the base chart (CRDs) before istiod: `deno task istio:base`",
    };
  }
  if (minor(b) > minor(t)) {
    return {
      status: "fail",
      detail: `istio/base ${base} (CRDs) is newer than istio.version ${target}`,
      hint: `a downgrade across minors is not supported: set istio.version to a ${b} release`,
    };
  }
  if (base === target) return { status: "pass", detail: `istio/base ${base}, as configured` };
  return {
    status: "pass",
    detail: `istio/base ${base} → ${target}: the CRDs are upgraded first, before istiod`,
  };
}
