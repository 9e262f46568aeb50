/**
 * Reading network policies as ambient sees them, pure: which pods a
 * NetworkPolicy or Cilium policy selects, whether it restricts their ingress,
 * whether it lets HBONE (TCP 15008) in, and which probe source addresses it
 * allows. Only what the ambient checks need: named ports and `ingressDeny`
 * rules are not modelled.
 */
import type { Json } from "../../kube/kube.ts";

/** ztunnel's HBONE port: policies that select ambient pods must let it in. */
export const HBONE_PORT = 15008;

/** Ambient's SNAT address for kubelet probes, IPv4 and IPv6 (istio.io#16833, istio#56484). */
export const PROBE_IPV4 = "169.254.7.127";
export const PROBE_IPV6 = "fd16:9254:7127:1337:ffff:ffff:ffff:ffff";

export type PolicyKind = "NetworkPolicy" | "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";

/** A policy with what the ambient checks read from it. */
export interface PolicyView {
  kind: PolicyKind;
  /** `ns/name`, or `name` for a cluster-wide policy */
  name: string;
  namespace?: string;
  /** does it select a pod with these labels in this namespace? */
  selects(labels: Record<string, string>, namespace: string): boolean;
  /** does it turn on ingress default-deny for the pods it selects? */
  restrictsIngress: boolean;
  /** does one of its ingress rules allow TCP 15008 (from some peer)? */
  allowsHbone: boolean;
  /** the CIDRs its ingress rules allow traffic from */
  fromCidrs: string[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label selector semantics; an empty selector selects everything. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    const ok = e.operator === "In"
      ? has && values.includes(labels[e.key])
      : e.operator === "NotIn"
      ? !has || !values.includes(labels[e.key])
      : e.operator === "Exists"
      ? has
      : e.operator === "DoesNotExist"
      ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}

function coversPort(port: unknown, endPort: unknown, protocol: unknown): boolean {
  if (protocol !== undefined && !["TCP", "ANY", ""].includes(String(protocol).toUpperCase())) {
    return false;
  }
  if (port === undefined || port === null || port === "" || port === 0 || port === "0") {
    return true; // every port
  }
  const start = Number(port);
  if (!Number.isInteger(start)) return false; // a named port: not modelled
  const end = endPort === undefined ? start : Number(endPort);
  return HBONE_PORT >= start && HBONE_PORT <= end;
}

/** A NetworkPolicy (networking.k8s.io/v1). */
export function networkPolicyView(np: Json): PolicyView {
  const meta = (np.metadata ?? {}) as Json;
  const spec = (np.spec ?? {}) as Json;
  const namespace = String(meta.namespace ?? "default");
  const ingress = (spec.ingress ?? []) as Json[];
  const types = (spec.policyTypes as string[] | undefined) ??
    (spec.egress && !spec.ingress ? ["Egress"] : ["Ingress"]);
  const cidrs = ingress.flatMap((r) =>
    ((r.from ?? []) as Json[]).map((p) => ((p.ipBlock ?? {}) as Json).cidr).filter(Boolean)
  ).map(String);
  return {
    kind: "NetworkPolicy",
    name: `${namespace}/${String(meta.name)}`,
    namespace,
    selects: (labels, ns) =>
      ns === namespace && matchesSelector(spec.podSelector as LabelSelector | undefined, labels),
    restrictsIngress: types.includes("Ingress"),
    allowsHbone: ingress.some((r) => {
      const from = (r.from ?? []) as Json[];
      const onlyCidrs = from.length > 0 && from.every((p) =>
        p.ipBlock && !p.podSelector &&
        !p.namespaceSelector
      );
      if (onlyCidrs && linkLocalOnly(from.map((p) => String((p.ipBlock as Json).cidr)))) {
        return false; // a probe rule: no mesh client comes from there
      }
      const ports = r.ports as Json[] | undefined;
      return !ports || ports.length === 0 ||
        ports.some((p) => coversPort(p.port, p.endPort, p.protocol));
    }),
    fromCidrs: cidrs,
  };
}

/** Cilium's own label keys carry a source prefix (`k8s:`, `any:`). */
function stripSources(selector: LabelSelector | undefined): LabelSelector | undefined {
  if (!selector) return undefined;
  const strip = (k: string): string => k.replace(/^(k8s|any|reserved):/, "");
  return {
    matchLabels: Object.fromEntries(
      Object.entries(selector.matchLabels ?? {}).map(([k, v]) => [strip(k), v]),
    ),
    matchExpressions: (selector.matchExpressions ?? []).map((e) => ({ ...e, key: strip(e.key) })),
  };
}

/** A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy (cilium.io/v2), `spec` and `specs`. */
export function ciliumPolicyView(p: Json): PolicyView {
  const meta = (p.metadata ?? {}) as Json;
  const clusterwide = p.kind === "CiliumClusterwideNetworkPolicy";
  const namespace = clusterwide ? undefined : String(meta.namespace ?? "default");
  const specs = [p.spec, ...((p.specs ?? []) as Json[])].filter(Boolean) as Json[];
  const rules = specs.map((spec) => {
    const ingress = (spec.ingress ?? []) as Json[];
    const edd = spec.enableDefaultDeny as Json | undefined;
    return {
      selector: stripSources(spec.endpointSelector as LabelSelector | undefined),
      hasSelector: spec.endpointSelector !== undefined,
      restricts: (spec.ingress !== undefined || spec.ingressDeny !== undefined) &&
        edd?.ingress !== false,
      allowsHbone: ingress.some((r) => {
        const cidrs = [
          ...((r.fromCIDR ?? []) as string[]),
          ...((r.fromCIDRSet ?? []) as Json[]).map((s) => String(s.cidr ?? "")),
        ];
        const otherPeers = [
          "fromEndpoints",
          "fromEntities",
          "fromRequires",
          "fromGroups",
          "fromNodes",
        ]
          .some((k) => r[k] !== undefined);
        if (!otherPeers && cidrs.length > 0 && linkLocalOnly(cidrs)) return false; // a probe rule
        const toPorts = r.toPorts as Json[] | undefined;
        if (!toPorts || toPorts.length === 0) return true;
        return toPorts.some((tp) =>
          ((tp.ports ?? []) as Json[]).some((pp) => coversPort(pp.port, pp.endPort, pp.protocol))
        );
      }),
      cidrs: ingress.flatMap((r) => [
        ...((r.fromCIDR ?? []) as string[]),
        ...((r.fromCIDRSet ?? []) as Json[]).map((s) => String(s.cidr ?? "")),
      ]).filter(Boolean),
    };
  });
  const selects = (labels: Record<string, string>, ns: string): boolean => {
    if (namespace !== undefined && ns !== namespace) return false;
    // Cilium sees the pod's namespace as a label too
    const all = { ...labels, "io.kubernetes.pod.namespace": ns };
    return rules.some((r) => r.hasSelector && matchesSelector(r.selector, all));
  };
  return {
    kind: clusterwide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
    name: namespace ? `${namespace}/${String(meta.name)}` : String(meta.name),
    namespace,
    selects,
    restrictsIngress: rules.some((r) => r.restricts),
    allowsHbone: rules.some((r) => r.allowsHbone),
    fromCidrs: rules.flatMap((r) => r.cidrs),
  };
}

/** Are these CIDRs all link-local or ambient's IPv6 probe range (nothing a mesh client uses)? */
function linkLocalOnly(cidrs: readonly string[]): boolean {
  return cidrs.every((c) =>
    ["169.254.0.0/16", "fe80::/10", "fd16:9254:7127:1337::/64"].some((range) =>
      cidrContains(range, c.split("/")[0]) && Number(c.split("/")[1] ?? 128) >=
        Number(range.split("/")[1])
    )
  );
}

/** Does this CIDR list let one address in (exact host or a covering IPv4/IPv6 prefix)? */
export function cidrsAllow(cidrs: readonly string[], address: string): boolean {
  return cidrs.some((c) => cidrContains(c, address));
}

function cidrContains(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const a = toBits(address);
  const b = toBits(base);
  if (!a || !b || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length) return false;
  return a.slice(0, bits) === b.slice(0, bits);
}

/** An IPv4 or IPv6 address as a string of bits; undefined when it is neither. */
function toBits(address: string): string | undefined {
  if (address.includes(".") && !address.includes(":")) {
    const parts = address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
      return undefined;
    }
    return parts.map((n) => n.toString(2).padStart(8, "0")).join("");
  }
  if (!address.includes(":")) return undefined;
  const [head, tail] = address.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const missing = 8 - h.length - t.length;
  if (address.includes("::") ? missing < 1 : missing !== 0) return undefined;
  const groups = [...h, ...Array(address.includes("::") ? missing : 0).fill("0"), ...t];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
}
