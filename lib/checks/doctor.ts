/**
 * `doctor`: read-only preflight. Tools and their versions, the context and
 * cluster that will be used, Kubernetes and Istio version support, node
 * architectures, install permissions (SelfSubjectAccessReview), Cilium's
 * live settings, Prometheus Operator CRDs, cert-manager and the ingress
 * class for Kiali, installed Gateway API CRDs, default-deny policies.
 *
 * Nothing here writes to the cluster: the only POST is a
 * SelfSubjectAccessReview, which the API server answers without storing.
 */
import { type Check, type CheckOutcome, type CheckResult, Memo, runChecks } from "./common.ts";
import type { Config } from "../config/config.ts";
import type { CommandHooks, Json, Kube } from "../kube/kube.ts";
import type { ProcResult } from "../kube/process.ts";
import { JsonStreamSplitter } from "../kube/process.ts";
import { isDefaultDenyCiliumPolicy, isDefaultDenyNetworkPolicy } from "../run/run.ts";
import { ISTIO_NAMESPACE } from "../config/vars.ts";

/** Istio minor line -> Kubernetes minors it supports, inclusive (errata 10). */
export const K8S_RANGE_FOR_ISTIO: Readonly<Record<string, readonly [number, number]>> = {
  "1.27": [29, 33],
  "1.28": [30, 34],
  "1.29": [31, 35],
  "1.30": [32, 36],
};

/** Newest Istio line this table knows; lines after it are "unknown". */
const NEWEST_KNOWN_LINE = 30;
/** Lines at or below this are end of life (errata 10: 1.26 is EOL). */
const LAST_EOL_LINE = 26;
/** Lines at or below this (and above the EOL ones) are near their end of life. */
const LAST_NEAR_EOL_LINE = 27;

/** Architectures Istio publishes images for. */
const SUPPORTED_ARCHES = new Set(["amd64", "arm64"]);

export interface DoctorOptions {
  /**
   * The current time. Reserved for dated end-of-life data: the EOL verdicts
   * come from the errata's static table today, so it is not read yet.
   */
  now?: Date;
  /** checks running at once (default 16: each is one or two short kubectl calls) */
  concurrency?: number;
  /** passed to every command (`onCommand` to show them, `signal` to stop) */
  hooks?: CommandHooks;
}

/** One permission the install needs. */
interface Permission {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

const PERMISSIONS: readonly Permission[] = [
  { verb: "create", group: "", resource: "namespaces" },
  { verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
  { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles" },
  { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
  {
    verb: "create",
    group: "admissionregistration.k8s.io",
    resource: "mutatingwebhookconfigurations",
  },
  {
    verb: "create",
    group: "admissionregistration.k8s.io",
    resource: "validatingwebhookconfigurations",
  },
  { verb: "create", group: "apps", resource: "deployments", namespace: ISTIO_NAMESPACE },
  { verb: "create", group: "apps", resource: "daemonsets", namespace: ISTIO_NAMESPACE },
  { verb: "create", group: "", resource: "services", namespace: ISTIO_NAMESPACE },
];

/**
 * Runs every preflight check. The tool and cluster checks come first; when
 * the cluster cannot be reached the checks that need it are left out (the
 * `cluster` check says why), so the list is short and the cause is on top.
 */
export async function runDoctor(
  kube: Kube,
  config: Config,
  options: DoctorOptions = {},
): Promise<CheckResult[]> {
  const ctx = new DoctorContext(kube, config, options.hooks ?? {});
  // checks that need the cluster start at once but wait for `kubectl version`;
  // when the server cannot be reached they are left out
  const skipped = new Set<string>();
  const gated = (id: string, title: string, fn: () => Promise<CheckOutcome>): Check => ({
    id,
    title,
    run: async () => {
      if ((await ctx.server()).ok) return await fn();
      skipped.add(id);
      return { status: "pass", detail: "not checked: cluster unreachable" };
    },
  });
  const checks: Check[] = [
    { id: "kubectl", title: "kubectl", run: () => ctx.kubectlCheck() },
    { id: "helm", title: "helm", run: () => ctx.helmCheck() },
    { id: "context", title: "context", run: () => ctx.contextCheck() },
    { id: "cluster", title: "cluster", run: () => ctx.clusterCheck() },
    { id: "istio-line", title: "Istio line", run: () => Promise.resolve(istioLineCheck(config)) },
    gated("k8s-version", "k8s version", async () => {
      const server = await ctx.server();
      return k8sVersionCheck(server.ok ? server.gitVersion : "", config.istio.version);
    }),
    gated("nodes", "nodes", () => ctx.nodesCheck()),
    gated("permissions", "permissions", () => ctx.permissionsCheck()),
    gated("cilium", "Cilium", () => ctx.ciliumCheck()),
    gated("prometheus-crds", "Prometheus CRDs", () => ctx.prometheusCheck()),
    gated("cluster-issuer", "ClusterIssuer", () => ctx.clusterIssuerCheck()),
    gated("ingress-class", "IngressClass", () => ctx.ingressClassCheck()),
    gated("gateway-api", "Gateway API CRDs", () => ctx.gatewayApiCheck()),
    gated("default-deny", "default-deny", () => ctx.defaultDenyCheck()),
  ];
  const results = await runChecks(checks, { concurrency: options.concurrency ?? 16 });
  return results.filter((r) => !skipped.has(r.id));
}

// ------------------------------------------------------------ pure verdicts

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

/** The Cilium settings ambient needs, from ConfigMap cilium-config's data (errata 6). */
export function ciliumSettingsCheck(
  data: Record<string, string>,
  config: Config,
): CheckOutcome {
  const c = config.cilium;
  const fixable: string[] = [];
  const broken: string[] = [];
  const shown = (key: string): string =>
    data[key] === undefined ? `${key} is unset` : `${key} is "${data[key]}"`;
  // socketLB.hostNamespaceOnly only matters with kube-proxy replacement on
  const kpr = (data["kube-proxy-replacement"] ?? "").toLowerCase();
  const kprOff = kpr === "false" || kpr === "disabled";
  if (data["bpf-lb-sock-hostns-only"] !== "true" && !kprOff) {
    fixable.push(`${shown("bpf-lb-sock-hostns-only")} (want "true")`);
  }
  if (data["cni-exclusive"] !== "false") fixable.push(`${shown("cni-exclusive")} (want "false")`);
  if (data["enable-bpf-masquerade"] === "true") {
    broken.push('enable-bpf-masquerade is "true" (bpf.masquerade is not supported with ambient)');
  }
  if (fixable.length === 0 && broken.length === 0) {
    return {
      status: "pass",
      detail: `${c.namespace}/cilium-config allows ambient (bpf-lb-sock-hostns-only ${
        kprOff ? "not needed: kube-proxy replacement off" : '"true"'
      }, cni-exclusive "false", bpf masquerade off)`,
    };
  }
  const detail = [...broken, ...fixable].join("; ");
  const fixHint = `upgrade release "${c.release}" with --reuse-values --set ` +
    "socketLB.hostNamespaceOnly=true --set cni.exclusive=false (`deno task cilium --fix` " +
    "or cilium.mode: fix)";
  if (broken.length > 0) {
    return {
      status: "fail",
      detail,
      hint: `set bpf.masquerade=false in the Cilium release${
        fixable.length > 0 ? `; then ${fixHint}` : ""
      }`,
    };
  }
  if (c.mode === "fix") {
    return {
      status: "warn",
      detail,
      hint: `cilium.mode is "fix": the cilium target will upgrade release "${c.release}"`,
    };
  }
  return { status: "fail", detail, hint: fixHint };
}

// ---------------------------------------------------------------- context

type ServerInfo =
  | { ok: true; gitVersion: string; platform: string }
  | { ok: false; error: string };

class DoctorContext {
  readonly #kube: Kube;
  readonly #config: Config;
  readonly #hooks: CommandHooks;
  readonly #memo = new Memo();

  constructor(kube: Kube, config: Config, hooks: CommandHooks) {
    this.#kube = kube;
    this.#config = config;
    this.#hooks = hooks;
  }

  #exec(argv: string[], extra: { stdin?: string; allowFailure?: boolean } = {}) {
    return this.#kube.exec(argv, { ...this.#hooks, ...extra });
  }

  /** `kubectl version -o json` against the server, once; never throws for a dead server. */
  server(): Promise<ServerInfo> {
    return this.#memo.once("server", async (): Promise<ServerInfo> => {
      const r = await this.#exec(
        this.#kube.kubectlArgv("version", "-o", "json", "--request-timeout=15s"),
        { allowFailure: true },
      );
      const parsed = parseJsonLoose(r.stdout);
      const sv = parsed?.serverVersion as Json | undefined;
      if (r.code === 0 && sv && typeof sv.gitVersion === "string") {
        return { ok: true, gitVersion: sv.gitVersion, platform: String(sv.platform ?? "") };
      }
      return { ok: false, error: lastLine(r.stderr) || `exit code ${r.code}` };
    });
  }

  async kubectlCheck(): Promise<CheckOutcome> {
    const r = await this.#exec(this.#kube.kubectlArgv("version", "--client", "-o", "json"));
    const client = ((parseJsonLoose(r.stdout)?.clientVersion ?? {}) as Json).gitVersion;
    const version = typeof client === "string" ? client : "unknown version";
    const server = await this.server();
    const c = parseMinor(version);
    const s = server.ok ? parseMinor(server.gitVersion) : undefined;
    if (c && s && c[0] === s[0] && Math.abs(c[1] - s[1]) > 1) {
      return {
        status: "warn",
        detail: `kubectl ${version} is more than one minor version from the server's ${
          server.ok ? server.gitVersion : ""
        }`,
        hint: `use kubectl 1.${s[1] - 1}-1.${
          s[1] + 1
        } (kubectl supports one minor version of skew)`,
      };
    }
    return { status: "pass", detail: `${version} (client)` };
  }

  async helmCheck(): Promise<CheckOutcome> {
    const r = await this.#exec(["helm", "version", "--short"]);
    const version = r.stdout.trim().split("\n")[0] ?? "";
    const v = parseMinor(version);
    if (!v || v[0] < 3) {
      return {
        status: "fail",
        detail: `helm ${version || "(no version)"}: helm 3 or 4 is needed`,
        hint: "install helm 3.x or 4.x: https://helm.sh/docs/intro/install/",
      };
    }
    return { status: "pass", detail: version };
  }

  async contextCheck(): Promise<CheckOutcome> {
    const r = await this.#exec(
      this.#kube.kubectlArgv("config", "view", "--minify", "-o", "json"),
      { allowFailure: true },
    );
    if (r.code !== 0) {
      return {
        status: "fail",
        detail: lastLine(r.stderr) || `kubectl config view failed (exit code ${r.code})`,
        hint: "list contexts with `kubectl config get-contexts`; set cluster.context " +
          "(KUBE_CONTEXT) or pass --context",
      };
    }
    const view = parseJsonLoose(r.stdout) ?? {};
    const name = String(view["current-context"] ?? this.#kube.target.context ?? "");
    const ctx = ((view.contexts as Json[] | undefined)?.[0]?.context ?? {}) as Json;
    const cluster = ((view.clusters as Json[] | undefined)?.[0]?.cluster ?? {}) as Json;
    const server = String(cluster.server ?? "unknown server");
    const ns = ctx.namespace ? `, namespace ${ctx.namespace}` : "";
    return {
      status: "pass",
      detail: `context "${name}" (cluster ${String(ctx.cluster ?? "?")} at ${server}${ns})`,
    };
  }

  async clusterCheck(): Promise<CheckOutcome> {
    const server = await this.server();
    if (!server.ok) {
      return {
        status: "fail",
        detail: `API server unreachable: ${server.error}`,
        hint: "check the context's server address and credentials with `kubectl cluster-info`; " +
          "the checks that need the cluster were not run",
      };
    }
    return {
      status: "pass",
      detail: `reachable, Kubernetes ${server.gitVersion}${
        server.platform ? ` (${server.platform})` : ""
      }`,
    };
  }

  async nodesCheck(): Promise<CheckOutcome> {
    const list = await this.#kube.getJson(["nodes"], this.#hooks);
    const nodes = (list.items ?? []) as Json[];
    if (nodes.length === 0) {
      return {
        status: "fail",
        detail: "no nodes in the cluster",
        hint: "ztunnel and istio-cni run on every node: add nodes",
      };
    }
    const arches = new Map<string, number>();
    const notReady: string[] = [];
    let k3s = 0;
    for (const node of nodes) {
      const meta = (node.metadata ?? {}) as Json;
      const labels = (meta.labels ?? {}) as Record<string, string>;
      const info = ((node.status as Json | undefined)?.nodeInfo ?? {}) as Json;
      const arch = labels["kubernetes.io/arch"] ?? String(info.architecture ?? "unknown");
      arches.set(arch, (arches.get(arch) ?? 0) + 1);
      const conditions = ((node.status as Json | undefined)?.conditions ?? []) as Json[];
      if (!conditions.some((c) => c.type === "Ready" && c.status === "True")) {
        notReady.push(String(meta.name));
      }
      if (String(info.kubeletVersion ?? "").includes("+k3s")) k3s++;
    }
    const counts = [...arches.entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([arch, n]) => `${n} ${arch}`).join(", ");
    const detail = `${nodes.length} ${nodes.length === 1 ? "node" : "nodes"}: ${counts}`;
    const unsupported = [...arches.keys()].filter((a) => !SUPPORTED_ARCHES.has(a));
    if (unsupported.length > 0) {
      return {
        status: "warn",
        detail: `${detail} (Istio publishes images for amd64 and arm64 only)`,
        hint: `ztunnel and istio-cni cannot run on the ${unsupported.join(", ")} nodes`,
      };
    }
    if (notReady.length > 0) {
      return {
        status: "warn",
        detail: `${detail}; not Ready: ${notReady.slice(0, 5).join(", ")}`,
        hint: "ztunnel and istio-cni need every node: `kubectl describe node " +
          `${notReady[0]}\``,
      };
    }
    if (k3s > 0 && this.#config.istio.platform !== "k3s" && !(await this.ciliumConfig())) {
      return {
        status: "warn",
        detail: `${detail}; k3s with its bundled flannel`,
        hint: "set istio.platform: k3s (ISTIO_PLATFORM=k3s) so istio-cni uses k3s' CNI paths",
      };
    }
    if (arches.has("arm64")) {
      return {
        status: "pass",
        detail,
        hint: "on Raspberry Pi nodes raise fs.inotify.max_user_instances to 512, or istio-cni " +
          'fails with "too many open files"',
      };
    }
    return { status: "pass", detail };
  }

  async permissionsCheck(): Promise<CheckOutcome> {
    const body = {
      apiVersion: "v1",
      kind: "List",
      items: PERMISSIONS.map((p) => ({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: {
            verb: p.verb,
            group: p.group,
            resource: p.resource,
            ...(p.namespace ? { namespace: p.namespace } : {}),
          },
        },
      })),
    };
    const r: ProcResult = await this.#exec(
      this.#kube.kubectlArgv("create", "-f", "-", "-o", "json"),
      { stdin: JSON.stringify(body) },
    );
    const reviews = new JsonStreamSplitter().push(r.stdout).flatMap((v) => {
      const o = v as Json;
      return o.kind === "List" ? (o.items as Json[] ?? []) : [o];
    });
    const denied: string[] = [];
    for (const p of PERMISSIONS) {
      const review = reviews.find((o) => {
        const a = ((o.spec as Json | undefined)?.resourceAttributes ?? {}) as Json;
        return a.verb === p.verb && (a.group ?? "") === p.group && a.resource === p.resource &&
          (a.namespace ?? undefined) === p.namespace;
      });
      const status = (review?.status ?? {}) as Json;
      if (status.allowed !== true) {
        const why = status.reason ? ` (${String(status.reason)})` : review ? "" : " (no answer)";
        denied.push(`${describePermission(p)}${why}`);
      }
    }
    if (denied.length > 0) {
      return {
        status: "fail",
        detail: `denied: ${denied.join("; ")}`,
        hint: "the install needs cluster-admin-like rights: use a context that has them, or ask " +
          "an admin (see `kubectl auth can-i --list`)",
      };
    }
    return {
      status: "pass",
      detail: `${PERMISSIONS.length} of ${PERMISSIONS.length} allowed (namespaces, CRDs, ` +
        `cluster roles and bindings, webhook configurations, workloads in ${ISTIO_NAMESPACE})`,
    };
  }

  ciliumConfig(): Promise<Json | undefined> {
    return this.#memo.once("cilium-config", () =>
      this.#kube.getObject({
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "cilium-config",
        namespace: this.#config.cilium.namespace,
      }, this.#hooks));
  }

  async ciliumCheck(): Promise<CheckOutcome> {
    const cm = await this.ciliumConfig();
    if (!cm) {
      return {
        status: "pass",
        detail: `Cilium not found (no ConfigMap ${this.#config.cilium.namespace}/cilium-config)`,
      };
    }
    return ciliumSettingsCheck((cm.data ?? {}) as Record<string, string>, this.#config);
  }

  async prometheusCheck(): Promise<CheckOutcome> {
    const mode = this.#config.telemetry.monitors;
    if (mode === "off") {
      return { status: "pass", detail: "not needed (telemetry.monitors is off)" };
    }
    const names = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com"];
    const exists = await Promise.all(names.map((n) => this.#kube.crdExists(n, this.#hooks)));
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

  async clusterIssuerCheck(): Promise<CheckOutcome> {
    const k = this.#config.kiali;
    if (!k.enabled || !k.ingress.enabled) {
      return { status: "pass", detail: "not needed (Kiali ingress is off)" };
    }
    const name = k.ingress.clusterIssuer;
    if (!(await this.#kube.crdExists("clusterissuers.cert-manager.io", this.#hooks))) {
      return {
        status: "warn",
        detail: `cert-manager is not installed: no ClusterIssuer "${name}" to sign kiali's TLS`,
        hint: "install cert-manager and a ClusterIssuer, or set kiali.ingress.clusterIssuer",
      };
    }
    const issuer = await this.#kube.getObject(
      { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", name },
      this.#hooks,
    );
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

  async ingressClassCheck(): Promise<CheckOutcome> {
    const k = this.#config.kiali;
    if (!k.enabled || !k.ingress.enabled) {
      return { status: "pass", detail: "not needed (Kiali ingress is off)" };
    }
    const name = k.ingress.className;
    const cls = await this.#kube.getObject(
      { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", name },
      this.#hooks,
    );
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

  async gatewayApiCheck(): Promise<CheckOutcome> {
    const g = this.#config.gatewayApi;
    const b = this.#config.bookinfo;
    const wanted = b.waypoint || b.flavour === "gateway-api";
    const crd = await this.#kube.getObject({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: "gateways.gateway.networking.k8s.io",
    }, this.#hooks);
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
    const line = this.#config.istio.version.split(".").slice(0, 2).join(".");
    return {
      status: "warn",
      detail: `${shown} installed; configured ${g.version} (Istio ${line})`,
      hint: g.needed
        ? `the gateway-api target will apply ${g.version} over them`
        : `install Gateway API ${g.version} (gatewayApi.install: on), or set gatewayApi.version ` +
          `to ${installed ?? "the installed version"}`,
    };
  }

  async defaultDenyCheck(): Promise<CheckOutcome> {
    const ciliumKinds = [
      ["ciliumnetworkpolicies.cilium.io", "CiliumNetworkPolicy"],
      ["ciliumclusterwidenetworkpolicies.cilium.io", "CiliumClusterwideNetworkPolicy"],
    ] as const;
    const [nps, ...ciliumCrds] = await Promise.all([
      this.#kube.getJson(["networkpolicies", "--all-namespaces"], this.#hooks),
      ...ciliumKinds.map(([crd]) => this.#kube.crdExists(crd, this.#hooks)),
    ]) as [Json, ...boolean[]];
    const found = ((nps.items ?? []) as Json[]).filter(isDefaultDenyNetworkPolicy)
      .map((np) => `NetworkPolicy ${refName(np)}`);
    const ciliumLists = await Promise.all(
      ciliumKinds.map(([crd], i) =>
        ciliumCrds[i] ? this.#kube.getJson([crd, "--all-namespaces"], this.#hooks) : {} as Json
      ),
    );
    for (const [i, [, kind]] of ciliumKinds.entries()) {
      for (const p of (ciliumLists[i].items ?? []) as Json[]) {
        if (isDefaultDenyCiliumPolicy(p)) found.push(`${kind} ${refName(p)}`);
      }
    }
    if (found.length === 0) return { status: "pass", detail: "no default-deny policy found" };
    const shown = `${found.length} default-deny ${found.length === 1 ? "policy" : "policies"}: ${
      found.slice(0, 3).join(", ")
    }${found.length > 3 ? `, and ${found.length - 3} more` : ""}`;
    const probePolicy = this.#config.cilium.probePolicy;
    if (probePolicy === "off") {
      return {
        status: "warn",
        detail: `${shown}: probe policy needed`,
        hint: "set cilium.probePolicy: auto so kubelet probes (SNAT-ed to 169.254.7.127 by " +
          "ambient) reach ambient pods, or allow 169.254.7.127/32 in these policies",
      };
    }
    if (!ciliumCrds[1]) {
      return {
        status: "warn",
        detail: `${shown}: probe policy needed, but Cilium's policy CRDs are not installed`,
        hint: "allow ingress from 169.254.7.127/32 (ambient's SNAT-ed kubelet probes) in " +
          "these policies",
      };
    }
    return {
      status: "pass",
      detail:
        `${shown}; the kubelet probe policy will be applied (cilium.probePolicy ${probePolicy})`,
    };
  }
}

function describePermission(p: Permission): string {
  const resource = p.group ? `${p.resource}.${p.group}` : p.resource;
  return `${p.verb} ${resource}${p.namespace ? ` in ${p.namespace}` : ""}`;
}

function refName(o: Json): string {
  const meta = (o.metadata ?? {}) as Json;
  return meta.namespace ? `${meta.namespace}/${meta.name}` : String(meta.name);
}

function parseJsonLoose(text: string): Json | undefined {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" ? v as Json : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "";
}
