/**
 * The config's schema (zod), its defaults and the derived defaults that
 * depend on other fields. Every value is validated here, before it can reach
 * a template.
 */
import { z } from "zod";
import { InputError } from "../errors.ts";

import { DEFAULT_ISTIO_VERSION, DEFAULT_KIALI_VERSION, GATEWAY_API_FOR_ISTIO } from "./versions.ts";

// the version table lives in versions.ts; these names stay importable from here
export { DEFAULT_ISTIO_VERSION, DEFAULT_KIALI_VERSION, GATEWAY_API_FOR_ISTIO };
export const ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts";
export const KIALI_CHARTS = "https://kiali.org/helm-charts";
export const CILIUM_CHARTS = "https://helm.cilium.io";

const dnsLabel = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(?=.{1,253}$)${dnsLabel}(\\.${dnsLabel})+$`);
const K8S_NAME = new RegExp(`^(?=.{1,63}$)${dnsLabel}$`);
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const GATEWAY_API_VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const HOST_PORT = new RegExp(`^${dnsLabel}(\\.${dnsLabel})*:\\d{1,5}$`);
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const CONTEXT = /^[A-Za-z0-9@:._/-]{1,253}$/;
const ANNOTATION_KEY =
  /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

const domain = z.string().regex(DOMAIN, "expected a DNS name such as homelab.example.com");
const k8sName = z.string().regex(K8S_NAME, "expected a Kubernetes name (lower case, digits, '-')");
const version = z.string().regex(VERSION, "expected a version such as 1.30.3");
const url = z.string().refine(isHttpUrl, "expected an http(s) URL");
const noControl = z.string().refine(
  (s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
  "must not contain control characters or newlines",
);
/** a chart source: repository URL, `oci://` reference, folder or `.tgz` */
const chartSource = noControl.min(1);

export const ConfigSchema = z.strictObject({
  cluster: z.strictObject({
    domain: domain.optional(),
    context: z.string().regex(CONTEXT, "expected a kube context name").optional(),
  }).prefault({}),
  istio: z.strictObject({
    version: version.default(DEFAULT_ISTIO_VERSION),
    charts: chartSource.default(ISTIO_CHARTS),
    platform: z.enum(["", "k3s"]).default(""),
  }).prefault({}),
  gatewayApi: z.strictObject({
    install: z.enum(["auto", "on", "off"]).default("auto"),
    version: z.string().regex(GATEWAY_API_VERSION, "expected a version such as v1.5.1").optional(),
    source: noControl.min(1).optional(),
  }).prefault({}),
  cilium: z.strictObject({
    mode: z.enum(["check", "fix", "off"]).default("check"),
    probePolicy: z.enum(["auto", "on", "off"]).default("auto"),
    namespace: k8sName.default("kube-system"),
    release: k8sName.default("cilium"),
    charts: chartSource.default(CILIUM_CHARTS),
  }).prefault({}),
  gateway: z.strictObject({
    namespace: k8sName.default("istio-ingress"),
    release: k8sName.default("istio-gateway"),
    loadBalancerIP: z.string().regex(IPV4, "expected an IPv4 address").optional(),
    annotations: z.record(
      z.string().regex(ANNOTATION_KEY, "expected an annotation key"),
      noControl,
    ).default({}),
  }).prefault({}),
  telemetry: z.strictObject({
    tracing: z.boolean().default(true),
    otlpEndpoint: z.string().regex(HOST_PORT, "expected host:port").default(
      "tempo-distributor.tempo.svc.cluster.local:4317",
    ),
    samplingPercent: z.number().min(0).max(100).default(100),
    monitors: z.enum(["auto", "on", "off"]).default("auto"),
  }).prefault({}),
  kiali: z.strictObject({
    enabled: z.boolean().default(true),
    namespace: k8sName.default("kiali"),
    version: version.default(DEFAULT_KIALI_VERSION),
    charts: chartSource.default(KIALI_CHARTS),
    auth: z.enum(["openid", "anonymous"]).default("anonymous"),
    openid: z.strictObject({
      issuerUri: url.optional(),
      clientId: noControl.min(1).default("kiali"),
      clientSecretEnv: z.string().regex(ENV_NAME, "expected an environment variable name")
        .default("KIALI_OIDC_CLIENT_SECRET"),
    }).prefault({}),
    ingress: z.strictObject({
      enabled: z.boolean().default(true),
      className: k8sName.default("nginx"),
      clusterIssuer: k8sName.default("letsencrypt-issuer"),
      host: domain.optional(),
    }).prefault({}),
    prometheusUrl: url.default("http://kube-prometheus-stack-prometheus.monitoring:9090"),
    grafana: z.strictObject({
      enabled: z.boolean().default(true),
      internalUrl: url.default("http://grafana.grafana.svc.cluster.local/grafana/"),
      externalUrl: url.optional(),
    }).prefault({}),
    tempo: z.strictObject({
      enabled: z.boolean().default(true),
      internalUrl: url.default("http://tempo-query-frontend.tempo.svc.cluster.local:3100/"),
    }).prefault({}),
  }).prefault({}),
  bookinfo: z.strictObject({
    namespace: k8sName.default("book-info"),
    flavour: z.enum(["istio-api", "gateway-api"]).default("istio-api"),
    waypoint: z.boolean().default(false),
    source: noControl.min(1).optional(),
    host: z.union([domain, z.literal("*")]).default("*"),
  }).prefault({}),
});

/** The config as the schema parses it, before derived defaults. */
export type RawConfig = z.infer<typeof ConfigSchema>;

/** The validated config, with every derived default filled in. */
export interface Config extends RawConfig {
  cluster: RawConfig["cluster"] & { domain: string };
  gatewayApi: RawConfig["gatewayApi"] & { version: string; source: string; needed: boolean };
  kiali: RawConfig["kiali"] & {
    ingress: RawConfig["kiali"]["ingress"] & { host: string };
    grafana: RawConfig["kiali"]["grafana"] & { externalUrl: string };
  };
  bookinfo: RawConfig["bookinfo"] & { source: string };
}

/**
 * Fills the defaults that depend on other fields (Gateway API version and
 * source, Kiali and Grafana hosts, bookinfo source) and checks the fields
 * required together. Throws `InputError`.
 */
export function completeConfig(raw: RawConfig, fileName: string): Config {
  if (!raw.cluster.domain) {
    throw new InputError(
      `Invalid config: field "cluster.domain" is required (not set in ${fileName} or CLUSTER_DOMAIN)`,
      "export CLUSTER_DOMAIN=homelab.example.com, or set cluster.domain in cluster.yaml",
    );
  }
  const minor = raw.istio.version.split(".").slice(0, 2).join(".");
  const gatewayApiVersion = raw.gatewayApi.version ?? GATEWAY_API_FOR_ISTIO[minor];
  if (!gatewayApiVersion) {
    throw new InputError(
      `Invalid config: field "gatewayApi.version" has no default for Istio ${minor}`,
      `set gatewayApi.version to the Gateway API release Istio ${minor} is built against`,
    );
  }
  const domainName = raw.cluster.domain;
  if (raw.kiali.enabled && raw.kiali.auth === "openid" && !raw.kiali.openid.issuerUri) {
    throw new InputError(
      `Invalid config: field "kiali.openid.issuerUri" is required when kiali.auth is "openid"`,
      `set kiali.openid.issuerUri (e.g. https://sso.${domainName}/realms/homelab) or KIALI_ISSUER_URI`,
    );
  }
  return {
    ...raw,
    cluster: { ...raw.cluster, domain: domainName },
    gatewayApi: {
      ...raw.gatewayApi,
      version: gatewayApiVersion,
      source: raw.gatewayApi.source ??
        `https://github.com/kubernetes-sigs/gateway-api/releases/download/${gatewayApiVersion}/standard-install.yaml`,
      needed: raw.gatewayApi.install === "on" ||
        (raw.gatewayApi.install === "auto" &&
          (raw.bookinfo.waypoint || raw.bookinfo.flavour === "gateway-api")),
    },
    kiali: {
      ...raw.kiali,
      ingress: { ...raw.kiali.ingress, host: raw.kiali.ingress.host ?? `kiali.${domainName}` },
      grafana: {
        ...raw.kiali.grafana,
        externalUrl: raw.kiali.grafana.externalUrl ?? `https://monitoring.${domainName}/grafana/`,
      },
    },
    bookinfo: {
      ...raw.bookinfo,
      // the release's tag, not its moving release-X.Y branch: the same config, the same bytes
      source: raw.bookinfo.source ??
        `https://raw.githubusercontent.com/istio/istio/${raw.istio.version}/samples/bookinfo`,
    },
  };
}

/** The field names the schema allows under `path` (for "did you mean" hints). */
export function knownKeys(path: string[]): string[] {
  // deno-lint-ignore no-explicit-any
  let schema: any = ConfigSchema;
  for (const key of path) {
    schema = unwrap(schema)?.shape?.[key];
  }
  return Object.keys(unwrap(schema)?.shape ?? {});
}

// deno-lint-ignore no-explicit-any
function unwrap(schema: any): any {
  let s = schema;
  while (s && !s.shape && s.def?.innerType) s = s.def.innerType;
  return s;
}

function isHttpUrl(s: string): boolean {
  if (/\s/.test(s) || [...s].some((ch) => ch.charCodeAt(0) < 0x20)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}
