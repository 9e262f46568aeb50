/**
 * The cluster that will be used: the kube context, whether the API server
 * answers, its nodes (architectures, readiness, k3s) and whether the user
 * may create what the install creates (SelfSubjectAccessReviews).
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef, ResourceAttributes } from "../context.ts";
import { NODE } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import { ISTIO_NAMESPACE } from "../../config/vars.ts";
import { ciliumConfigMap } from "./cilium.ts";

/** Architectures Istio publishes images for. */
const SUPPORTED_ARCHES = new Set(["amd64", "arm64"]);

/** The permissions the install needs. */
const PERMISSIONS: readonly ResourceAttributes[] = [
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

export const context: CheckDef = { id: "context", title: "context", run: checkContext };

/** Whether the API server answers; the checks that need it are left out when not. */
export const apiServer: CheckDef = { id: "cluster", title: "cluster", run: checkApiServer };

export const nodes: CheckDef = { id: "nodes", title: "nodes", run: checkNodes };

export const permissions: CheckDef = {
  id: "permissions",
  title: "permissions",
  run: checkPermissions,
};

async function checkContext(ctx: CheckContext): Promise<CheckOutcome> {
  const r = await ctx.kubeconfigView();
  if (!r.ok) {
    return {
      status: "fail",
      detail: r.error,
      hint: "list contexts with `kubectl config get-contexts`; set cluster.context " +
        "(KUBE_CONTEXT) or pass --context",
    };
  }
  const view = r.view;
  const name = String(view["current-context"] ?? ctx.contextName ?? "");
  const context = ((view.contexts as Json[] | undefined)?.[0]?.context ?? {}) as Json;
  const cluster = ((view.clusters as Json[] | undefined)?.[0]?.cluster ?? {}) as Json;
  const server = String(cluster.server ?? "unknown server");
  const ns = context.namespace ? `, namespace ${context.namespace}` : "";
  return {
    status: "pass",
    detail: `context "${name}" (cluster ${String(context.cluster ?? "?")} at ${server}${ns})`,
  };
}

async function checkApiServer(ctx: CheckContext): Promise<CheckOutcome> {
  const server = await ctx.version();
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

async function checkNodes(ctx: CheckContext): Promise<CheckOutcome> {
  const nodes = await ctx.list(NODE);
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
  if (k3s > 0 && ctx.config.istio.platform !== "k3s" && !(await ciliumConfigMap(ctx))) {
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

async function checkPermissions(ctx: CheckContext): Promise<CheckOutcome> {
  const reviews = await ctx.reviewAccess(PERMISSIONS);
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

function describePermission(p: ResourceAttributes): string {
  const resource = p.group ? `${p.resource}.${p.group}` : p.resource;
  return `${p.verb} ${resource}${p.namespace ? ` in ${p.namespace}` : ""}`;
}
