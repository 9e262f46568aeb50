/**
 * `verify`: read-only proof that the mesh works. The control plane and the
 * node agents are ready on every schedulable node, the gateway has an
 * address, bookinfo is enrolled in ambient and bound to the installed
 * gateway (the how-to's selector mismatch, errata 2), the tracing provider
 * the Telemetry resource names exists in meshConfig, the monitors exist,
 * Kiali has reconciled, and a real request to `/productpage` through the
 * gateway answers 200.
 */
import { parse as parseYaml } from "yaml";
import { type Check, type CheckOutcome, type CheckResult, Memo, runChecks } from "./common.ts";
import type { Config } from "../config/config.ts";
import { summarizeUnready } from "../run/diagnose.ts";
import type { CommandHooks, Json, Kube } from "../kube/kube.ts";
import {
  computeStatus,
  conditionsOf,
  loadBalancerAddress,
  selectorMatches,
} from "../run/kstatus.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { CommandError } from "../kube/retry.ts";
import { ISTIO_NAMESPACE } from "../config/vars.ts";

export interface VerifyOptions {
  /**
   * Used for the productpage request. The default speaks HTTP/1.1 itself so
   * that it can send a `Host` header (Deno's `fetch` drops it); an injected
   * `fetch` gets the header in `init.headers` to honour or ignore.
   */
  fetch?: typeof fetch;
  /** `host` or `host:port` to send the request to, instead of the gateway's address */
  address?: string;
  /** the `Host` header (default bookinfo.host, none when it is "*") */
  host?: string;
  /** how long the productpage request may take (default 10 s) */
  timeoutMs?: number;
  /** checks running at once (default 8) */
  concurrency?: number;
  /** passed to every command (`onCommand` to show them, `signal` to stop) */
  hooks?: CommandHooks;
}

export const DEFAULT_PRODUCTPAGE_TIMEOUT_MS = 10_000;

/** kubectl's words for a kind the server does not serve. */
const UNKNOWN_KIND = /doesn't have a resource type|no matches for kind|resource mapping not found/;

/** Runs every post-install check that applies to the config, in a fixed order. */
export async function runVerify(
  kube: Kube,
  config: Config,
  options: VerifyOptions = {},
): Promise<CheckResult[]> {
  const ctx = new VerifyContext(kube, config, options);
  const checks: Check[] = [
    { id: "istiod", title: "istiod", run: () => ctx.istiodCheck() },
    { id: "istio-cni", title: "istio-cni", run: () => ctx.daemonSetCheck("istio-cni-node") },
    { id: "ztunnel", title: "ztunnel", run: () => ctx.daemonSetCheck("ztunnel") },
    { id: "gateway-address", title: "gateway address", run: () => ctx.gatewayAddressCheck() },
    { id: "ambient-namespaces", title: "ambient namespaces", run: () => ctx.ambientCheck() },
    { id: "bookinfo-gateway", title: "bookinfo gateway", run: () => ctx.bookinfoGatewayCheck() },
  ];
  if (config.telemetry.tracing) {
    checks.push({
      id: "tracing-provider",
      title: "tracing provider",
      run: () => ctx.tracingCheck(),
    });
  }
  if (config.telemetry.monitors !== "off") {
    checks.push({ id: "monitors", title: "monitors", run: () => ctx.monitorsCheck() });
  }
  if (config.kiali.enabled) {
    checks.push(
      { id: "kiali-cr", title: "Kiali CR", run: () => ctx.kialiCrCheck() },
      { id: "kiali-server", title: "Kiali server", run: () => ctx.kialiServerCheck() },
    );
  }
  checks.push({ id: "productpage", title: "productpage", run: () => ctx.productpageCheck() });
  return await runChecks(checks, { concurrency: options.concurrency });
}

// ------------------------------------------------------------ pure parts

/** A node's taint or a pod's toleration, as in the API. */
interface Taint {
  key?: string;
  value?: string;
  effect?: string;
}
interface Toleration extends Taint {
  operator?: string;
}

/** Tolerations the DaemonSet controller adds to every DaemonSet pod. */
const DAEMONSET_TOLERATIONS: readonly Toleration[] = [
  "node.kubernetes.io/not-ready",
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/disk-pressure",
  "node.kubernetes.io/memory-pressure",
  "node.kubernetes.io/pid-pressure",
  "node.kubernetes.io/unschedulable",
  "node.kubernetes.io/network-unavailable",
].map((key) => ({ key, operator: "Exists" }));

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === "Exists";
  if (t.key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/**
 * The nodes a DaemonSet's pods should run on: not cordoned, every
 * NoSchedule/NoExecute taint tolerated, nodeSelector and required node
 * affinity matched.
 */
export function eligibleNodes(daemonSet: Json, nodes: readonly Json[]): Json[] {
  const podSpec = (((daemonSet.spec as Json | undefined)?.template as Json | undefined)?.spec ??
    {}) as Json;
  const tolerations = [
    ...((podSpec.tolerations ?? []) as Toleration[]),
    ...DAEMONSET_TOLERATIONS,
  ];
  const nodeSelector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
  const terms = ((((podSpec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)
    ?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)
    ?.nodeSelectorTerms ?? []) as Json[];
  return nodes.filter((node) => {
    const spec = (node.spec ?? {}) as Json;
    if (spec.unschedulable === true) return false;
    const taints = ((spec.taints ?? []) as Taint[]).filter((t) =>
      t.effect === "NoSchedule" || t.effect === "NoExecute"
    );
    if (!taints.every((taint) => tolerations.some((t) => tolerates(t, taint)))) return false;
    const labels = labelsOf(node);
    if (Object.entries(nodeSelector).some(([k, v]) => labels[k] !== v)) return false;
    if (terms.length === 0) return true;
    return terms.some((term) =>
      Array.isArray(term.matchExpressions) &&
      selectorMatches({ matchExpressions: term.matchExpressions }, labels)
    );
  });
}

/** Does an Istio Gateway's `spec.selector` (a plain label map) select these labels? */
export function istioSelectorMatches(
  selector: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  return selectorMatches({ matchLabels: selector }, labels);
}

/** `http://host[:port]/productpage`, IPv6 literals bracketed. */
export function productpageUrl(address: string): string {
  const colons = (address.match(/:/g) ?? []).length;
  const host = colons > 1 && !address.startsWith("[") ? `[${address}]` : address;
  return `http://${host}/productpage`;
}

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

// ---------------------------------------------------------------- context

class VerifyContext {
  readonly #kube: Kube;
  readonly #config: Config;
  readonly #options: VerifyOptions;
  readonly #hooks: CommandHooks;
  readonly #memo = new Memo();

  constructor(kube: Kube, config: Config, options: VerifyOptions) {
    this.#kube = kube;
    this.#config = config;
    this.#options = options;
    this.#hooks = options.hooks ?? {};
  }

  #get(ref: ObjectRef): Promise<Json | undefined> {
    const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
    return this.#memo.once(`get:${key}`, async () => {
      try {
        return await this.#kube.getObject(ref, this.#hooks);
      } catch (e) {
        // the kind itself is not served (its CRD is missing): no such object
        if (e instanceof CommandError && UNKNOWN_KIND.test(e.stderr)) return undefined;
        throw e;
      }
    });
  }

  #list(resource: string, namespace?: string): Promise<Json[]> {
    return this.#memo.once(`list:${resource}/${namespace ?? "*"}`, async () => {
      const ns = namespace ? [`--namespace=${namespace}`] : [];
      return ((await this.#kube.getJson([resource, ...ns], this.#hooks)).items ?? []) as Json[];
    });
  }

  #events(namespace: string): Promise<Json[]> {
    return this.#memo.once(`events:${namespace}`, async () => {
      try {
        return await this.#list("events", namespace);
      } catch {
        return []; // diagnosis is best effort
      }
    });
  }

  /** One line on why a workload is not ready: its worst pod and last event. */
  async #whyUnready(ref: ObjectRef, status: ReturnType<typeof computeStatus>): Promise<string> {
    const ns = ref.namespace ?? "default";
    const [pods, events] = await Promise.all([this.#list("pods", ns), this.#events(ns)]);
    return summarizeUnready({
      objects: [{ ref, status: status.status, message: status.message }],
      pods,
      events: events as Parameters<typeof summarizeUnready>[0]["events"],
    });
  }

  async #deploymentCheck(ref: ObjectRef, task: string): Promise<CheckOutcome> {
    const obj = await this.#get(ref);
    const where = `Deployment ${ref.namespace}/${ref.name}`;
    if (!obj) {
      return { status: "fail", detail: `${where} not found`, hint: `run \`deno task ${task}\`` };
    }
    const status = computeStatus(obj);
    if (status.status === "Current") {
      const ready = Number((obj.status as Json | undefined)?.readyReplicas ?? 0);
      return { status: "pass", detail: `${where} ready (${ready} ${plural(ready, "replica")})` };
    }
    return {
      status: "fail",
      detail: `${where} not ready: ${await this.#whyUnready(ref, status)}`,
      hint: `kubectl -n ${ref.namespace} describe deploy/${ref.name}`,
    };
  }

  istiodCheck(): Promise<CheckOutcome> {
    return this.#deploymentCheck(
      { apiVersion: "apps/v1", kind: "Deployment", namespace: ISTIO_NAMESPACE, name: "istiod" },
      "istio:istiod",
    );
  }

  async daemonSetCheck(name: "istio-cni-node" | "ztunnel"): Promise<CheckOutcome> {
    const ref: ObjectRef = {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      namespace: ISTIO_NAMESPACE,
      name,
    };
    const task = name === "ztunnel" ? "istio:ztunnel" : "istio:cni";
    const where = `DaemonSet ${ISTIO_NAMESPACE}/${name}`;
    const [ds, nodes] = await Promise.all([this.#get(ref), this.#list("nodes")]);
    if (!ds) {
      return { status: "fail", detail: `${where} not found`, hint: `run \`deno task ${task}\`` };
    }
    const eligible = eligibleNodes(ds, nodes);
    const st = (ds.status ?? {}) as Json;
    const desired = Number(st.desiredNumberScheduled ?? 0);
    const ready = Number(st.numberReady ?? 0);
    if (desired < eligible.length) {
      const pods = (await this.#list("pods", ISTIO_NAMESPACE)).filter((p) => ownedBy(p, ds));
      const covered = new Set(pods.map((p) => String((p.spec as Json | undefined)?.nodeName)));
      const missing = eligible.map((n) => String((n.metadata as Json).name))
        .filter((n) => !covered.has(n));
      return {
        status: "fail",
        detail: `${where} is scheduled on ${desired} of ${eligible.length} schedulable nodes${
          missing.length > 0 ? ` (no pod on ${missing.slice(0, 5).join(", ")})` : ""
        }`,
        hint: `check the nodes' taints and the DaemonSet's tolerations and nodeSelector: ` +
          `kubectl -n ${ISTIO_NAMESPACE} describe ds/${name}`,
      };
    }
    const status = computeStatus(ds);
    if (ready < desired || desired === 0 || status.status !== "Current") {
      const why = desired === 0 ? "no node to run on" : await this.#whyUnready(
        ref,
        status.status === "Current" ? { ...status, status: "InProgress" } : status,
      );
      return {
        status: "fail",
        detail: `${where} ready on ${ready} of ${desired} nodes: ${why}`,
        hint: `kubectl -n ${ISTIO_NAMESPACE} describe ds/${name}`,
      };
    }
    return {
      status: "pass",
      detail: `${where} ready on ${ready} of ${eligible.length} schedulable ${
        plural(eligible.length, "node")
      }`,
    };
  }

  #gatewayServiceRef(): ObjectRef {
    const g = this.#config.gateway;
    return { apiVersion: "v1", kind: "Service", namespace: g.namespace, name: g.release };
  }

  async gatewayAddressCheck(): Promise<CheckOutcome> {
    const ref = this.#gatewayServiceRef();
    const where = `Service ${ref.namespace}/${ref.name}`;
    const svc = await this.#get(ref);
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
    const wanted = this.#config.gateway.loadBalancerIP;
    if (wanted && wanted !== address) {
      return {
        status: "fail",
        detail: `${where} got ${address}, but gateway.loadBalancerIP is ${wanted}`,
        hint: `check that ${wanted} is in your load-balancer pool and free`,
      };
    }
    return { status: "pass", detail: `${where} has address ${address}` };
  }

  async ambientCheck(): Promise<CheckOutcome> {
    const namespaces = [this.#config.bookinfo.namespace];
    const problems: string[] = [];
    let missing = false;
    for (const name of namespaces) {
      const ns = await this.#get({ apiVersion: "v1", kind: "Namespace", name });
      if (!ns) {
        problems.push(`namespace ${name} not found`);
        missing = true;
        continue;
      }
      const value = labelsOf(ns)["istio.io/dataplane-mode"];
      if (value !== "ambient") {
        problems.push(
          `namespace ${name} has ${
            value === undefined
              ? "no istio.io/dataplane-mode label"
              : `istio.io/dataplane-mode=${value}`
          }`,
        );
      }
    }
    if (problems.length > 0) {
      return {
        status: "fail",
        detail: problems.join("; "),
        hint: missing
          ? "run `deno task bookinfo`"
          : `kubectl label namespace ${namespaces[0]} istio.io/dataplane-mode=ambient ` +
            "(or re-run `deno task bookinfo`)",
      };
    }
    return {
      status: "pass",
      detail: `${namespaces.join(", ")} ${namespaces.length === 1 ? "carries" : "carry"} ` +
        "istio.io/dataplane-mode=ambient",
    };
  }

  async bookinfoGatewayCheck(): Promise<CheckOutcome> {
    const b = this.#config.bookinfo;
    if (b.flavour === "gateway-api") {
      const gw = await this.#get({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        namespace: b.namespace,
        name: "bookinfo-gateway",
      });
      const where = `Gateway ${b.namespace}/bookinfo-gateway (gateway.networking.k8s.io)`;
      if (!gw) {
        return { status: "fail", detail: `${where} not found`, hint: "run `deno task bookinfo`" };
      }
      const programmed = conditionsOf(gw).find((c) => c.type === "Programmed");
      if (programmed && programmed.status !== "True") {
        return {
          status: "fail",
          detail: `${where} is not programmed: ${programmed.reason} ${programmed.message}`.trim(),
          hint:
            `kubectl -n ${b.namespace} describe gateway.gateway.networking.k8s.io/bookinfo-gateway`,
        };
      }
      return {
        status: "pass",
        detail: `${where} exists${programmed ? " and is programmed" : ""}`,
      };
    }
    const gw = await this.#get({
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
    const g = this.#config.gateway;
    const pods = (await this.#list("pods", g.namespace)).filter((p) =>
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
        ? `set the Gateway's selector to ${
          suggestion.join(", ")
        } (re-run \`deno task bookinfo\`), ` +
          "or label the gateway's pods to match (gateway chart value labels.istio)"
        : "re-run `deno task bookinfo` so the selector is derived from the installed gateway",
    };
  }

  async tracingCheck(): Promise<CheckOutcome> {
    const telemetry = await this.#get({
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
    const cm = await this.#get({
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

  async monitorsCheck(): Promise<CheckOutcome> {
    const mode = this.#config.telemetry.monitors;
    const crds = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com"];
    const exist = await Promise.all(crds.map((c) => this.#kube.crdExists(c, this.#hooks)));
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
    const found = await Promise.all(refs.map((r) => this.#get(r)));
    const missing = refs.filter((_, i) => !found[i]).map((r) =>
      `${r.kind} ${r.namespace}/${r.name}`
    );
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

  async kialiCrCheck(): Promise<CheckOutcome> {
    const ns = this.#config.kiali.namespace;
    const where = `Kiali ${ns}/kiali`;
    const cr = await this.#get({
      apiVersion: "kiali.io/v1alpha1",
      kind: "Kiali",
      namespace: ns,
      name: "kiali",
    });
    if (!cr) return { status: "fail", detail: `${where} not found`, hint: "run `deno task kiali`" };
    const conditions = conditionsOf(cr);
    const failure = conditions.find((c) => c.type === "Failure" && c.status === "True");
    if (failure) {
      return {
        status: "fail",
        detail: `${where} failed to reconcile: ${failure.message || failure.reason}`,
        hint: `kubectl -n ${ns} logs deploy/kiali-operator`,
      };
    }
    if (conditions.length === 0) {
      return { status: "pass", detail: `${where} exists (no status reported)` };
    }
    const ok = conditions.find((c) =>
      (c.type === "Successful" || c.type === "Running") && c.status === "True"
    );
    if (ok) {
      return { status: "pass", detail: `${where} reconciled (${ok.type}: ${ok.reason || "True"})` };
    }
    return {
      status: "warn",
      detail: `${where} not reconciled yet: ${
        conditions.map((c) => `${c.type}=${c.status}`).join(", ")
      }`,
      hint: `kubectl -n ${ns} logs deploy/kiali-operator`,
    };
  }

  kialiServerCheck(): Promise<CheckOutcome> {
    return this.#deploymentCheck(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: this.#config.kiali.namespace,
        name: "kiali",
      },
      "kiali",
    );
  }

  /** Where requests go: the override, else the address of whatever serves bookinfo. */
  async #productpageAddress(): Promise<{ address?: string; source: string }> {
    if (this.#options.address) return { address: this.#options.address, source: "--address" };
    const b = this.#config.bookinfo;
    if (b.flavour === "gateway-api") {
      const gw = await this.#get({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        namespace: b.namespace,
        name: "bookinfo-gateway",
      });
      const addresses = ((gw?.status as Json | undefined)?.addresses ?? []) as Json[];
      const value = addresses.map((a) => String(a.value ?? "")).find((v) => v !== "");
      if (value) return { address: value, source: `Gateway ${b.namespace}/bookinfo-gateway` };
      const svc = await this.#get({
        apiVersion: "v1",
        kind: "Service",
        namespace: b.namespace,
        name: "bookinfo-gateway-istio",
      });
      return {
        address: svc ? loadBalancerAddress(svc) : undefined,
        source: `Service ${b.namespace}/bookinfo-gateway-istio`,
      };
    }
    const ref = this.#gatewayServiceRef();
    const svc = await this.#get(ref);
    return {
      address: svc ? loadBalancerAddress(svc) : undefined,
      source: `Service ${ref.namespace}/${ref.name}`,
    };
  }

  async productpageCheck(): Promise<CheckOutcome> {
    const { address, source } = await this.#productpageAddress();
    if (!address) {
      return {
        status: "fail",
        detail: `no address to send the request to (${source} has none)`,
        hint: "fix the gateway address first, or pass an address to try",
      };
    }
    const url = productpageUrl(address);
    const bookinfoHost = this.#config.bookinfo.host;
    const host = this.#options.host ?? (bookinfoHost === "*" ? undefined : bookinfoHost);
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_PRODUCTPAGE_TIMEOUT_MS;
    const doFetch = this.#options.fetch ?? httpGet;
    const shownHost = host ? ` (Host: ${host})` : "";
    const started = performance.now();
    let status: number;
    try {
      const res = await doFetch(url, {
        method: "GET",
        redirect: "manual",
        headers: host ? { host } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (e) {
      return { status: "fail", ...describeFetchError(e, url + shownHost, timeoutMs) };
    }
    const ms = Math.round(performance.now() - started);
    if (status === 200) {
      return { status: "pass", detail: `GET ${url}${shownHost}: HTTP 200 in ${ms} ms` };
    }
    const ns = this.#config.bookinfo.namespace;
    return {
      status: "fail",
      detail: `GET ${url}${shownHost}: HTTP ${status}, want 200`,
      hint: status === 404
        ? "the gateway does not route /productpage for this host: check the Gateway's hosts and " +
          `the route in ${ns} (kubectl -n ${ns} get virtualservices,httproutes)`
        : status >= 500
        ? `the gateway has no healthy backend: kubectl -n ${ns} get pods`
        : `unexpected answer: try curl -v ${host ? `-H 'Host: ${host}' ` : ""}${url}`,
    };
  }
}

function describeFetchError(
  e: unknown,
  target: string,
  timeoutMs: number,
): { detail: string; hint: string } {
  const name = e instanceof Error || e instanceof DOMException ? e.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      detail: `GET ${target}: no answer within ${formatSeconds(timeoutMs)}`,
      hint: "is the address reachable from here (load balancer, firewall, route)? " +
        "kubectl -n istio-ingress get svc",
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.ConnectionRefused || /connection refused/i.test(message)) {
    return {
      detail: `GET ${target}: connection refused`,
      hint: "nothing listens on that address and port: check the gateway Service's ports and " +
        "its pods",
    };
  }
  return {
    detail: `GET ${target}: ${message.split("\n")[0]}`,
    hint: "is the address reachable from here (load balancer, firewall, route)?",
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

// ------------------------------------------------------------ HTTP client

/**
 * A minimal HTTP/1.1 GET with the headers as given, `Host` included (Deno's
 * `fetch` replaces it with the URL's). Reads the status line and headers,
 * then closes: only the status matters here. Typed as `fetch` so callers
 * can swap it.
 */
export async function httpGet(
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol !== "http:") {
    throw new TypeError(`Only http:// is supported (got ${url.protocol})`);
  }
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const headers = new Headers(init.headers);
  const lines = [
    `${init.method ?? "GET"} ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${headers.get("host") ?? url.host}`,
    "User-Agent: meshup-verify",
    "Accept: */*",
    "Connection: close",
  ];
  for (const [k, v] of headers) {
    if (!["host", "user-agent", "accept", "connection"].includes(k)) lines.push(`${k}: ${v}`);
  }
  const connecting = Deno.connect({
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 80),
  });
  const conn = await abortable(connecting, signal, (c) => c.close());
  const onAbort = (): void => {
    try {
      conn.close();
    } catch { /* closed */ }
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const request = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
    for (let written = 0; written < request.length;) {
      written += await conn.write(request.subarray(written));
    }
    const decoder = new TextDecoder();
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n") && head.length < 65536) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: ([^\r\n]*))?/.exec(head);
    if (!m) {
      throw new TypeError(
        head === "" ? "connection closed without an answer" : "not an HTTP answer",
      );
    }
    const code = Number(m[1]);
    if (code < 200 || code > 599) throw new TypeError(`unexpected HTTP status ${code}`);
    return new Response(null, { status: code, statusText: m[2] ?? "" });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    onAbort();
  }
}

/** Awaits `p` unless `signal` aborts first; a late result is disposed of. */
function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => void,
): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.then(dispose, () => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v); // a no-op after an abort: onAbort disposes of it
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

// ---------------------------------------------------------------- helpers

function labelsOf(o: Json): Record<string, string> {
  return ((o.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
}

function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

function ownedBy(pod: Json, owner: Json): boolean {
  const refs = ((pod.metadata as Json | undefined)?.ownerReferences ?? []) as Json[];
  const meta = (owner.metadata ?? {}) as Json;
  return refs.some((r) =>
    (meta.uid && r.uid === meta.uid) || (r.kind === owner.kind && r.name === meta.name)
  );
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
