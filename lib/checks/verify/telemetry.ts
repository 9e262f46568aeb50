/**
 * Telemetry: the tracing provider the Telemetry resource names is defined in
 * istiod's meshConfig, and the istiod ServiceMonitor and ztunnel PodMonitor
 * exist when the Prometheus Operator CRDs do.
 */
import { parse as parseYaml } from "yaml";
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import type { ObjectRef } from "../../plan/plan.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";

export const tracingProvider: CheckDef = {
  id: "tracing-provider",
  title: "tracing provider",
  appliesTo: (config) => config.telemetry.tracing,
  run: checkTracingProvider,
};

export const monitors: CheckDef = {
  id: "monitors",
  title: "monitors",
  appliesTo: (config) => config.telemetry.monitors !== "off",
  run: checkMonitors,
};

/** Provider names of `extensionProviders` in istiod's mesh config (YAML text). */
export function meshProviderNames(meshYaml: string): string[] {
  const mesh = parseYaml(meshYaml || "{}") as Json | null;
  const providers = (mesh?.extensionProviders ?? []) as Json[];
  return Array.isArray(providers) ? providers.map((p) => String(p?.name ?? "")) : [];
}

/** Provider names a Telemetry resource's tracing section selects. */
export function telemetryProviderNames(telemetry: Json): string[] {
  const tracing = ((telemetry.spec as Json | undefined)?.tracing ?? []) as Json[];
  return tracing.flatMap((t) => ((t.providers ?? []) as Json[]).map((p) => String(p.name)));
}

async function checkTracingProvider(ctx: CheckContext): Promise<CheckOutcome> {
  const telemetry = await ctx.get({
    apiVersion: "telemetry.istio.io/v1",
    kind: "Telemetry",
    namespace: ISTIO_NAMESPACE,
    name: "mesh-default",
  });
  const where = `Telemetry ${ISTIO_NAMESPACE}/mesh-default`;
  if (!telemetry) {
    return { status: "fail", detail: `${where} not found`, hint: "run `deno task telemetry`" };
  }
  const wanted = telemetryProviderNames(telemetry);
  if (wanted.length === 0) {
    return {
      status: "fail",
      detail: `${where} names no tracing provider`,
      hint: "re-run `deno task telemetry`",
    };
  }
  const cm = await ctx.get({
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: ISTIO_NAMESPACE,
    name: "istio",
  });
  if (!cm) {
    return {
      status: "fail",
      detail: `ConfigMap ${ISTIO_NAMESPACE}/istio (istiod's meshConfig) not found`,
      hint: "run `deno task istio:istiod`",
    };
  }
  const defined = meshProviderNames(String((cm.data as Json | undefined)?.mesh ?? ""));
  const missing = wanted.filter((w) => !defined.includes(w));
  if (missing.length > 0) {
    return {
      status: "fail",
      detail: `${where} names provider ${missing.map((m) => `"${m}"`).join(", ")}, but ` +
        `istiod's meshConfig defines ${
          defined.length > 0 ? defined.map((d) => `"${d}"`).join(", ") : "no extensionProviders"
        }`,
      hint: "re-run `deno task istio:istiod` with telemetry.tracing on, so " +
        "meshConfig.extensionProviders has it",
    };
  }
  return {
    status: "pass",
    detail: `${where} sends traces to ${wanted.map((w) => `"${w}"`).join(", ")}, ` +
      "defined in istiod's meshConfig",
  };
}

async function checkMonitors(ctx: CheckContext): Promise<CheckOutcome> {
  const mode = ctx.config.telemetry.monitors;
  const crds = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com"];
  const exist = await Promise.all(crds.map((c) => ctx.crdExists(c)));
  if (exist.some((e) => !e)) {
    const missing = crds.filter((_, i) => !exist[i]).join(", ");
    if (mode === "auto") {
      return {
        status: "pass",
        detail: `skipped: CRD ${missing} not installed (telemetry.monitors is auto)`,
      };
    }
    return {
      status: "fail",
      detail: `CRD ${missing} not installed (telemetry.monitors is on)`,
      hint: "install the Prometheus Operator CRDs, then re-run `deno task telemetry`",
    };
  }
  const refs: ObjectRef[] = [
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      namespace: ISTIO_NAMESPACE,
      name: "istiod",
    },
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      namespace: ISTIO_NAMESPACE,
      name: "ztunnel",
    },
  ];
  const found = await Promise.all(refs.map((r) => ctx.get(r)));
  const missing = refs.filter((_, i) => !found[i]).map((r) => `${r.kind} ${r.namespace}/${r.name}`);
  if (missing.length > 0) {
    return {
      status: "fail",
      detail: `${missing.join(", ")} not found`,
      hint: "run `deno task telemetry`",
    };
  }
  return {
    status: "pass",
    detail:
      `ServiceMonitor ${ISTIO_NAMESPACE}/istiod and PodMonitor ${ISTIO_NAMESPACE}/ztunnel exist`,
  };
}
