/**
 * Loading the config: `--config FILE`, else `./cluster.yaml`, else the
 * environment alone. Environment variables override the file. Errors name
 * the file:line or the environment variable.
 */
import { isMap } from "yaml";
import { InputError } from "../errors.ts";
import { completeConfig, type Config, ConfigSchema, knownKeys } from "./schema.ts";
import { closest } from "./suggest.ts";
import { parseYamlInput, readConfigText, sourceOf, type YamlInput } from "./yaml_input.ts";

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
  const text = await readConfigText(file, options.file ?? "cluster.yaml");
  if (text === undefined && explicit) {
    throw new InputError(
      `Cannot read config "${options.file}": file not found`,
      "copy cluster.example.yaml to cluster.yaml and edit it, or pass --config with an existing file",
    );
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
  const input = text === undefined ? undefined : parseYamlInput(text, fileName);
  const raw = input?.value ?? {};
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
      : `${fileName}:${lineOf(input, path)}`;
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
    if (
      issue.code === "invalid_type" && issue.expected === "string" &&
      (typeof got === "number" || typeof got === "boolean")
    ) {
      // YAML reads `1.30` as the number 1.3 and `yes` stays a string, but `true` does not
      const written = (envName ? undefined : sourceOf(input?.doc, path)) ?? String(got);
      throw new InputError(
        `Invalid config at ${where}: field "${field}" expected a string, got the ${typeof got} ${written}`,
        `quote it: "${written}"`,
      );
    }
    throw new InputError(
      `Invalid config at ${where}: field "${field}" ${issue.message}${
        got === undefined ? "" : ` (got ${JSON.stringify(got)})`
      }`,
      "see cluster.example.yaml for every field and its allowed values",
    );
  }
  return completeConfig(result.data, fileName);
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
function lineOf(input: YamlInput | undefined, path: string[]): number {
  if (!input) return 1;
  const doc = input.doc;
  for (let n = path.length; n > 0; n--) {
    const prefix = path.slice(0, n);
    const parent = n > 1 ? doc.getIn(prefix.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) =>
        String((p.key as { value?: unknown })?.value) === prefix[n - 1]
      );
      const range = (pair?.key as { range?: number[] } | undefined)?.range;
      if (range) return input.lineAt(range[0]);
    }
  }
  return 1;
}
