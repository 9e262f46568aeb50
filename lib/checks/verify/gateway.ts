/**
 * The ingress: the gateway Service has a LoadBalancer address (the one
 * configured, if any), and bookinfo's Gateway is bound to the installed
 * gateway: an Istio Gateway's selector matches the gateway's pods (the
 * how-to's selector mismatch, errata 2), a Gateway API Gateway is programmed.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { POD } from "../context.ts";
import type { Config } from "../../config/config.ts";
import type { Json } from "../../kube/kube.ts";
import type { ObjectRef } from "../../plan/plan.ts";
import { loadBalancerAddress, selectorMatches } from "../../run/kstatus.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";
import { formatLabels, labelsOf, plural } from "./_helpers.ts";
import { describeCondition, staleness, statusConditions } from "./_status.ts";

export const gatewayAddress: CheckDef = {
  id: "gateway-address",
  title: "gateway address",
  run: checkGatewayAddress,
};

export const bookinfoGateway: CheckDef = {
  id: "bookinfo-gateway",
  title: "bookinfo gateway",
  run: checkBookinfoGateway,
};

/** bookinfo's waypoint (a Gateway of class istio-waypoint), when one is configured. */
export const waypointGateway: CheckDef = {
  id: "waypoint",
  title: "waypoint",
  appliesTo: (config) => config.bookinfo.waypoint,
  run: (ctx) => gatewayApiProgrammed(ctx, "waypoint"),
};

/** Does an Istio Gateway's `spec.selector` (a plain label map) select these labels? */
export function istioSelectorMatches(
  selector: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  return selectorMatches({ matchLabels: selector }, labels);
}

/** The installed gateway's Service (the istio/gateway release). */
export function gatewayServiceRef(config: Config): ObjectRef {
  const g = config.gateway;
  return { apiVersion: "v1", kind: "Service", namespace: g.namespace, name: g.release };
}

async function checkGatewayAddress(ctx: CheckContext): Promise<CheckOutcome> {
  const ref = gatewayServiceRef(ctx.config);
  const where = `Service ${ref.namespace}/${ref.name}`;
  const svc = await ctx.get(ref);
  if (!svc) {
    return { status: "fail", detail: `${where} not found`, hint: "run `deno task gateway`" };
  }
  const type = String((svc.spec as Json | undefined)?.type ?? "ClusterIP");
  if (type !== "LoadBalancer") {
    return {
      status: "fail",
      detail: `${where} is of type ${type}, not LoadBalancer`,
      hint: "the gateway chart's service.type must be LoadBalancer: re-run `deno task gateway`",
    };
  }
  const address = loadBalancerAddress(svc);
  if (!address) {
    return {
      status: "fail",
      detail: `${where} has no LoadBalancer address`,
      hint: "a load-balancer provider (MetalLB, Cilium LB IPAM, a cloud) must assign one: " +
        `kubectl -n ${ref.namespace} describe svc/${ref.name}`,
    };
  }
  const wanted = ctx.config.gateway.loadBalancerIP;
  if (wanted && wanted !== address) {
    return {
      status: "fail",
      detail: `${where} got ${address}, but gateway.loadBalancerIP is ${wanted}`,
      hint: `check that ${wanted} is in your load-balancer pool and free`,
    };
  }
  return { status: "pass", detail: `${where} has address ${address}` };
}

async function checkBookinfoGateway(ctx: CheckContext): Promise<CheckOutcome> {
  const b = ctx.config.bookinfo;
  if (b.flavour === "gateway-api") {
    return await gatewayApiProgrammed(ctx, "bookinfo-gateway");
  }
  const gw = await ctx.get({
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    namespace: b.namespace,
    name: "bookinfo-gateway",
  });
  const where = `Gateway ${b.namespace}/bookinfo-gateway`;
  if (!gw) {
    return { status: "fail", detail: `${where} not found`, hint: "run `deno task bookinfo`" };
  }
  const selector = ((gw.spec as Json | undefined)?.selector ?? {}) as Record<string, string>;
  const g = ctx.config.gateway;
  const pods = (await ctx.list(POD, { namespace: g.namespace })).filter((p) =>
    !(p.metadata as Json | undefined)?.deletionTimestamp
  );
  const shownSelector = formatLabels(selector) || "(empty)";
  const matched = pods.filter((p) => istioSelectorMatches(selector, labelsOf(p)));
  if (matched.length > 0) {
    const names = matched.map((p) => String((p.metadata as Json).name));
    return {
      status: "pass",
      detail: `${where} selector ${shownSelector} matches ${matched.length} ${
        plural(matched.length, "pod")
      } in ${g.namespace} (${names.slice(0, 3).join(", ")})`,
    };
  }
  if (pods.length === 0) {
    return {
      status: "fail",
      detail: `${where} selector ${shownSelector} matches nothing: no pods in ${g.namespace}`,
      hint: `run \`deno task gateway\`; kubectl -n ${g.namespace} get pods`,
    };
  }
  // the labels that matter: the selector's keys, plus app and istio
  const keys = new Set([...Object.keys(selector), "app", "istio"]);
  const seen = [
    ...new Set(pods.map((p) => {
      const labels = labelsOf(p);
      return formatLabels(
        Object.fromEntries([...keys].filter((k) => k in labels).map((k) => [k, labels[k]])),
      );
    })),
  ].filter((s) => s !== "");
  const suggestion = Object.keys(selector).map((k) => {
    const v = labelsOf(pods[0])[k];
    return v === undefined ? undefined : `${k}: ${v}`;
  }).filter((s) => s !== undefined);
  return {
    status: "fail",
    detail: `${where} selector ${shownSelector} matches no pod in ${g.namespace}; ` +
      `the gateway's pods have ${seen.join(" | ") || "no such labels"}`,
    hint: suggestion.length > 0
      ? `set the Gateway's selector to ${suggestion.join(", ")} (re-run \`deno task bookinfo\`), ` +
        "or label the gateway's pods to match (gateway chart value labels.istio)"
      : "re-run `deno task bookinfo` so the selector is derived from the installed gateway",
  };
}

/**
 * A Gateway API Gateway by its status contract: `Programmed=True` for its
 * current generation (a condition observed for an older one is stale), and
 * an address in `status.addresses`. Before any controller reconciles it, the
 * API server's CRD defaults give `Accepted` and `Programmed` `Unknown`,
 * reason `Pending`, "Waiting for controller": a fail naming istiod, which is
 * the controller of the classes istio and istio-waypoint.
 */
async function gatewayApiProgrammed(ctx: CheckContext, name: string): Promise<CheckOutcome> {
  const ns = ctx.config.bookinfo.namespace;
  const gw = await ctx.get({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    namespace: ns,
    name,
  });
  const where = `Gateway ${ns}/${name} (gateway.networking.k8s.io)`;
  const describe = `kubectl -n ${ns} describe gateway.gateway.networking.k8s.io/${name}`;
  if (!gw) {
    return { status: "fail", detail: `${where} not found`, hint: "run `deno task bookinfo`" };
  }
  const conditions = statusConditions(gw);
  const programmed = conditions.find((c) => c.type === "Programmed");
  if (!programmed) {
    return {
      status: "fail",
      detail: `${where} has no Programmed condition: no controller has reconciled it`,
      hint: `is istiod running? kubectl -n ${ISTIO_NAMESPACE} get deploy/istiod; ${describe}`,
    };
  }
  if (programmed.status !== "True") {
    const accepted = conditions.find((c) => c.type === "Accepted");
    const pending = programmed.reason === "Pending";
    return {
      status: "fail",
      detail: `${where} is not programmed: ${describeCondition(programmed)}` +
        (accepted && accepted.status !== "True" ? `; ${describeCondition(accepted)}` : ""),
      hint: pending
        ? `no controller has taken it: istiod programs class ${
          String((gw.spec as Json | undefined)?.gatewayClassName ?? "istio")
        } once ready (kubectl -n ${ISTIO_NAMESPACE} get deploy/istiod; ${describe})`
        : describe,
    };
  }
  const stale = staleness(gw, programmed);
  if (stale) {
    return {
      status: "fail",
      detail: `${where}: ${stale}; its controller has not reconciled the current spec`,
      hint: `kubectl -n ${ISTIO_NAMESPACE} logs deploy/istiod; ${describe}`,
    };
  }
  const addresses = (((gw.status as Json | undefined)?.addresses ?? []) as Json[])
    .map((a) => String(a?.value ?? "")).filter((v) => v !== "");
  if (addresses.length === 0) {
    return {
      status: "fail",
      detail: `${where} is programmed but has no address in status.addresses`,
      hint: `its Service needs an address: kubectl -n ${ns} get svc; ${describe}`,
    };
  }
  return {
    status: "pass",
    detail: `${where} is programmed with address ${addresses.join(", ")}`,
  };
}
