/**
 * What the add-ons expect to find: the Prometheus Operator CRDs for the
 * monitors, cert-manager's ClusterIssuer and the IngressClass for Kiali's
 * ingress, and the Gateway API CRDs already installed (their version).
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import type { Json } from "../../kube/kube.ts";

export const prometheusCrds: CheckDef = {
  id: "prometheus-crds",
  title: "Prometheus CRDs",
  run: checkPrometheusCrds,
};

export const clusterIssuer: CheckDef = {
  id: "cluster-issuer",
  title: "ClusterIssuer",
  run: checkClusterIssuer,
};

export const ingressClass: CheckDef = {
  id: "ingress-class",
  title: "IngressClass",
  run: checkIngressClass,
};

export const gatewayApi: CheckDef = {
  id: "gateway-api",
  title: "Gateway API CRDs",
  run: checkGatewayApi,
};

async function checkPrometheusCrds(ctx: CheckContext): Promise<CheckOutcome> {
  const mode = ctx.config.telemetry.monitors;
  if (mode === "off") {
    return { status: "pass", detail: "not needed (telemetry.monitors is off)" };
  }
  const names = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com"];
  const exists = await Promise.all(names.map((n) => ctx.crdExists(n)));
  const missing = names.filter((_, i) => !exists[i]);
  if (missing.length === 0) {
    return { status: "pass", detail: "ServiceMonitor and PodMonitor CRDs installed" };
  }
  const detail = `missing CRD ${missing.join(", ")}`;
  const install = "install the Prometheus Operator CRDs (kube-prometheus-stack, or the " +
    "prometheus-operator-crds chart)";
  if (mode === "on") {
    return {
      status: "fail",
      detail: `${detail} (telemetry.monitors is on)`,
      hint: `${install}, or set telemetry.monitors: auto to skip the monitors`,
    };
  }
  return {
    status: "warn",
    detail: `${detail}: the istiod and ztunnel monitors will be skipped`,
    hint: `${install} to have istiod and ztunnel scraped`,
  };
}

async function checkClusterIssuer(ctx: CheckContext): Promise<CheckOutcome> {
  const k = ctx.config.kiali;
  if (!k.enabled || !k.ingress.enabled) {
    return { status: "pass", detail: "not needed (Kiali ingress is off)" };
  }
  const name = k.ingress.clusterIssuer;
  if (!(await ctx.crdExists("clusterissuers.cert-manager.io"))) {
    return {
      status: "warn",
      detail: `cert-manager is not installed: no ClusterIssuer "${name}" to sign kiali's TLS`,
      hint: "install cert-manager and a ClusterIssuer, or set kiali.ingress.clusterIssuer",
    };
  }
  const issuer = await ctx.get({ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", name });
  if (!issuer) {
    return {
      status: "warn",
      detail: `ClusterIssuer "${name}" not found: Kiali's certificate will not be issued`,
      hint: `create ClusterIssuer "${name}" or set kiali.ingress.clusterIssuer ` +
        "(`kubectl get clusterissuers`)",
    };
  }
  return { status: "pass", detail: `ClusterIssuer "${name}" exists` };
}

async function checkIngressClass(ctx: CheckContext): Promise<CheckOutcome> {
  const k = ctx.config.kiali;
  if (!k.enabled || !k.ingress.enabled) {
    return { status: "pass", detail: "not needed (Kiali ingress is off)" };
  }
  const name = k.ingress.className;
  const cls = await ctx.get({ apiVersion: "networking.k8s.io/v1", kind: "IngressClass", name });
  if (!cls) {
    return {
      status: "warn",
      detail: `IngressClass "${name}" not found: Kiali's Ingress will not be served`,
      hint: `install an ingress controller for class "${name}" or set kiali.ingress.className ` +
        "(`kubectl get ingressclasses`)",
    };
  }
  return { status: "pass", detail: `IngressClass "${name}" exists` };
}

async function checkGatewayApi(ctx: CheckContext): Promise<CheckOutcome> {
  const g = ctx.config.gatewayApi;
  const b = ctx.config.bookinfo;
  const wanted = b.waypoint || b.flavour === "gateway-api";
  const crd = await ctx.get({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    name: "gateways.gateway.networking.k8s.io",
  });
  if (!crd) {
    if (g.needed) {
      return { status: "pass", detail: `not installed; meshup will install ${g.version}` };
    }
    if (wanted) {
      return {
        status: "fail",
        detail: "not installed, and gatewayApi.install is off but bookinfo needs them " +
          `(${b.waypoint ? "waypoint" : "gateway-api flavour"})`,
        hint: `set gatewayApi.install: auto, or install Gateway API ${g.version} yourself`,
      };
    }
    return { status: "pass", detail: "not installed, not needed" };
  }
  const annotations = ((crd.metadata as Json | undefined)?.annotations ?? {}) as Record<
    string,
    string
  >;
  const installed = annotations["gateway.networking.k8s.io/bundle-version"];
  const channel = annotations["gateway.networking.k8s.io/channel"];
  const shown = `${installed ?? "unknown version"}${channel ? ` (${channel} channel)` : ""}`;
  if (installed === g.version) {
    return { status: "pass", detail: `${shown} installed, as configured` };
  }
  const line = ctx.config.istio.version.split(".").slice(0, 2).join(".");
  return {
    status: "warn",
    detail: `${shown} installed; configured ${g.version} (Istio ${line})`,
    hint: g.needed
      ? `the gateway-api target will apply ${g.version} over them`
      : `install Gateway API ${g.version} (gatewayApi.install: on), or set gatewayApi.version ` +
        `to ${installed ?? "the installed version"}`,
  };
}
