/**
 * Cluster config: `--config FILE`, else `./cluster.yaml`, else the
 * environment alone. Environment variables override the file. Every value is
 * validated here, before it can reach a template.
 */
import { isMap, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InputError } from "../errors.ts";
import { editDistance } from "./template.ts";

/** Istio minor line -> Gateway API release it is built against (errata 3). */
export const GATEWAY_API_FOR_ISTIO: Readonly<Record<string, string>> = {
  "1.27": "v1.3.0",
  "1.28": "v1.4.0",
  "1.29": "v1.4.0",
  "1.30": "v1.5.1",
};

export const DEFAULT_ISTIO_VERSION = "1.30.3";
export const DEFAULT_KIALI_VERSION = "2.24.0";
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

const ConfigSchema = z.strictObject({
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

type RawConfig = z.infer<typeof ConfigSchema>;

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

export interface LoadedConfig {
  config: Config;
  /** the file read, if any */
  file?: string;
}

type EnvType = "string" | "number" | "boolean" | "json";

/** Environment variables that override the file: name, field path, type. */
export const ENV_OVERRIDES: ReadonlyArray<readonly [string, string, EnvType]> = [
  ["CLUSTER_DOMAIN", "cluster.domain", "string"],
  ["KUBE_CONTEXT", "cluster.context", "string"],
  ["ISTIO_VERSION", "istio.version", "string"],
  ["ISTIO_CHARTS", "istio.charts", "string"],
  ["ISTIO_PLATFORM", "istio.platform", "string"],
  ["GATEWAY_API_INSTALL", "gatewayApi.install", "string"],
  ["GATEWAY_API_VERSION", "gatewayApi.version", "string"],
  ["GATEWAY_API_SOURCE", "gatewayApi.source", "string"],
  ["CILIUM_MODE", "cilium.mode", "string"],
  ["CILIUM_PROBE_POLICY", "cilium.probePolicy", "string"],
  ["CILIUM_CHARTS", "cilium.charts", "string"],
  ["GATEWAY_NAMESPACE", "gateway.namespace", "string"],
  ["GATEWAY_RELEASE", "gateway.release", "string"],
  ["GATEWAY_LOADBALANCER_IP", "gateway.loadBalancerIP", "string"],
  ["GATEWAY_ANNOTATIONS", "gateway.annotations", "json"],
  ["TELEMETRY_TRACING", "telemetry.tracing", "boolean"],
  ["TELEMETRY_OTLP_ENDPOINT", "telemetry.otlpEndpoint", "string"],
  ["TELEMETRY_SAMPLING_PERCENT", "telemetry.samplingPercent", "number"],
  ["TELEMETRY_MONITORS", "telemetry.monitors", "string"],
  ["KIALI_ENABLED", "kiali.enabled", "boolean"],
  ["KIALI_NAMESPACE", "kiali.namespace", "string"],
  ["KIALI_VERSION", "kiali.version", "string"],
  ["KIALI_CHARTS", "kiali.charts", "string"],
  ["KIALI_AUTH", "kiali.auth", "string"],
  ["KIALI_ISSUER_URI", "kiali.openid.issuerUri", "string"],
  ["KIALI_CLIENT_ID", "kiali.openid.clientId", "string"],
  ["KIALI_CLIENT_SECRET_ENV", "kiali.openid.clientSecretEnv", "string"],
  ["KIALI_INGRESS", "kiali.ingress.enabled", "boolean"],
  ["KIALI_INGRESS_CLASS", "kiali.ingress.className", "string"],
  ["KIALI_CLUSTER_ISSUER", "kiali.ingress.clusterIssuer", "string"],
  ["KIALI_HOST", "kiali.ingress.host", "string"],
  ["KIALI_PROMETHEUS_URL", "kiali.prometheusUrl", "string"],
  ["KIALI_GRAFANA_URL", "kiali.grafana.internalUrl", "string"],
  ["KIALI_GRAFANA_EXTERNAL_URL", "kiali.grafana.externalUrl", "string"],
  ["KIALI_TEMPO_URL", "kiali.tempo.internalUrl", "string"],
  ["BOOKINFO_NAMESPACE", "bookinfo.namespace", "string"],
  ["BOOKINFO_FLAVOUR", "bookinfo.flavour", "string"],
  ["BOOKINFO_WAYPOINT", "bookinfo.waypoint", "boolean"],
  ["BOOKINFO_SOURCE", "bookinfo.source", "string"],
  ["BOOKINFO_HOST", "bookinfo.host", "string"],
];

export interface LoadOptions {
  /** `--config FILE`; when absent `./cluster.yaml` is used if it exists */
  file?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Reads, merges and validates the config. Throws `InputError` on bad input. */
export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const explicit = options.file !== undefined;
  const file = resolvePath(options.cwd, options.file ?? "cluster.yaml");
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    if (explicit) {
      throw new InputError(
        `Cannot read config "${options.file}": file not found`,
        "copy cluster.example.yaml to cluster.yaml and edit it, or pass --config with an existing file",
      );
    }
  }
  const shown = text === undefined ? undefined : options.file ?? "cluster.yaml";
  return { config: parseConfig(text, { env: options.env, fileName: shown }), file: shown };
}

/** Parses config text (or nothing) plus env. Throws `InputError`. */
export function parseConfig(
  text: string | undefined,
  options: { env: Readonly<Record<string, string | undefined>>; fileName?: string },
): Config {
  const fileName = options.fileName ?? "cluster.yaml";
  const lines = new LineCounter();
  const doc = text === undefined ? undefined : parseDocument(text, { lineCounter: lines });
  if (doc && doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err.linePos?.[0].line ?? 1;
    throw new InputError(
      `Cannot parse config "${fileName}:${line}": ${err.message.split("\n")[0]}`,
      "fix the YAML syntax (indentation, quotes, a missing ':')",
    );
  }
  const raw: unknown = doc?.toJS() ?? {};
  if (raw !== null && (typeof raw !== "object" || Array.isArray(raw))) {
    throw new InputError(
      `Cannot read config "${fileName}:1": expected a mapping at the top level`,
      "see cluster.example.yaml for the layout",
    );
  }
  const merged = structuredClone((raw ?? {}) as Record<string, unknown>);
  const fromEnv = new Map<string, string>();
  for (const [name, path, type] of ENV_OVERRIDES) {
    const value = options.env[name];
    if (value === undefined || value === "") continue;
    setPath(merged, path.split("."), parseEnvValue(name, value, type));
    fromEnv.set(path, name);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [...issue.path.map(String), ...keys.slice(0, 1)];
    const field = path.join(".");
    const envName = fromEnv.get(field);
    const where = envName
      ? `environment variable ${envName}`
      : `${fileName}:${lineOf(doc, lines, path)}`;
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(issue.path.map(String));
      const guess = closest(keys[0], known);
      throw new InputError(
        `Invalid config at ${where}: unknown field "${field}"`,
        guess
          ? `did you mean "${[...issue.path, guess].join(".")}"?`
          : `known fields here: ${known.join(", ")}`,
      );
    }
    const got = getPath(merged, path);
    throw new InputError(
      `Invalid config at ${where}: field "${field}" ${issue.message}${
        got === undefined ? "" : ` (got ${JSON.stringify(got)})`
      }`,
      "see cluster.example.yaml for every field and its allowed values",
    );
  }
  return finish(result.data, fileName);
}

function finish(raw: RawConfig, fileName: string): Config {
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
      source: raw.bookinfo.source ??
        `https://raw.githubusercontent.com/istio/istio/release-${minor}/samples/bookinfo`,
    },
  };
}

function parseEnvValue(name: string, value: string, type: EnvType): unknown {
  switch (type) {
    case "string":
      return value;
    case "number": {
      const n = Number(value);
      if (value.trim() === "" || Number.isNaN(n)) {
        throw new InputError(
          `Invalid environment variable ${name}: expected a number (got ${JSON.stringify(value)})`,
          `unset ${name} or give it a number`,
        );
      }
      return n;
    }
    case "boolean":
      if (/^(true|1|yes|on)$/i.test(value)) return true;
      if (/^(false|0|no|off)$/i.test(value)) return false;
      throw new InputError(
        `Invalid environment variable ${name}: expected true or false (got ${
          JSON.stringify(value)
        })`,
        `unset ${name} or set it to true or false`,
      );
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw new InputError(
          `Invalid environment variable ${name}: expected JSON (got ${JSON.stringify(value)})`,
          `e.g. ${name}='{"key":"value"}'`,
        );
      }
  }
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

function resolvePath(cwd: string, p: string): string {
  return p.startsWith("/") ? p : `${cwd.replace(/\/$/, "")}/${p}`;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** 1-based line of the deepest node of `path` found in the document. */
function lineOf(
  doc: ReturnType<typeof parseDocument> | undefined,
  lines: LineCounter,
  path: string[],
): number {
  if (!doc) return 1;
  for (let n = path.length; n > 0; n--) {
    const prefix = path.slice(0, n);
    const parent = n > 1 ? doc.getIn(prefix.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) =>
        String((p.key as { value?: unknown })?.value) === prefix[n - 1]
      );
      const range = (pair?.key as { range?: number[] } | undefined)?.range;
      if (range) return lines.linePos(range[0]).line;
    }
  }
  return 1;
}

function knownKeys(path: string[]): string[] {
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

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
