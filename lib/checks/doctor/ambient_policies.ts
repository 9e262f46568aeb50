/**
 * Network policies against ambient, from Istio's and Cilium's trackers: a
 * kubelet probe policy must let in both SNAT addresses, 169.254.7.127 and on
 * IPv6 fd16:9254:7127:1337:ffff:ffff:ffff:ffff (istio.io#16833, istio#56484),
 * and a policy that selects ambient pods must let in HBONE on TCP 15008
 * (Istio's ambient NetworkPolicy docs; istio#49277).
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { POD } from "../context.ts";
import type { Json } from "../../kube/kube.ts";
import { ciliumConfigMap } from "./cilium.ts";
import {
  cidrsAllow,
  ciliumPolicyView,
  HBONE_PORT,
  networkPolicyView,
  type PolicyView,
  PROBE_IPV4,
  PROBE_IPV6,
} from "./_policy.ts";

export const probePolicyIpv6: CheckDef = {
  id: "probe-policy-ipv6",
  title: "probe policy IPv6",
  run: checkProbePolicyIpv6,
};

export const hbonePolicies: CheckDef = {
  id: "hbone-policies",
  title: "HBONE policies",
  run: checkHbonePolicies,
};

const AMBIENT_LABEL = "istio.io/dataplane-mode=ambient";

/** Every NetworkPolicy and Cilium policy in the cluster, as views. */
async function policies(ctx: CheckContext): Promise<PolicyView[]> {
  const cilium = [
    ["ciliumnetworkpolicies.cilium.io", "CiliumNetworkPolicy"],
    ["ciliumclusterwidenetworkpolicies.cilium.io", "CiliumClusterwideNetworkPolicy"],
  ] as const;
  const [nps, ...served] = await Promise.all([
    ctx.list({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" }),
    ...cilium.map(([crd]) => ctx.crdExists(crd)),
  ]) as [Json[], ...boolean[]];
  const ciliumLists = await Promise.all(
    cilium.map(([, kind], i) =>
      served[i] ? ctx.list({ apiVersion: "cilium.io/v2", kind }) : Promise.resolve([])
    ),
  );
  // list items may come without their kind: set it from the list they are in
  return [
    ...nps.map(networkPolicyView),
    ...ciliumLists.flatMap((items, i) =>
      items.map((p) => ciliumPolicyView({ ...p, kind: cilium[i][1] }))
    ),
  ];
}

async function checkProbePolicyIpv6(ctx: CheckContext): Promise<CheckOutcome> {
  const all = await policies(ctx);
  // a probe policy: one that lets in the IPv4 probe address by a narrow prefix (not 0.0.0.0/0)
  const probe = all.filter((p) =>
    p.fromCidrs.some((c) => Number(c.split("/")[1] ?? 32) >= 16 && cidrsAllow([c], PROBE_IPV4))
  );
  if (probe.length === 0) {
    return {
      status: "pass",
      detail: `no policy lets in ${PROBE_IPV4} (the default-deny check says whether one is needed)`,
    };
  }
  const missing = probe.filter((p) => !cidrsAllow(p.fromCidrs, PROBE_IPV6));
  if (missing.length === 0) {
    return {
      status: "pass",
      detail: `${describe(probe)} let in both probe addresses (${PROBE_IPV4}, ${PROBE_IPV6})`,
    };
  }
  const cm = await ciliumConfigMap(ctx);
  const ipv6 = ((cm?.data ?? {}) as Record<string, string>)["enable-ipv6"] === "true";
  const ours = missing.some((p) => p.name === "allow-ambient-hostprobes");
  return {
    status: ipv6 ? "fail" : "warn",
    detail: `${describe(missing)} ${missing.length === 1 ? "lets" : "let"} in ${PROBE_IPV4} ` +
      `but not ambient's IPv6 probe address ${PROBE_IPV6}` +
      (ipv6
        ? ": IPv6 is on in cilium-config, so kubelet probes over IPv6 are dropped"
        : " (IPv6 is off in cilium-config: it matters once it is on)"),
    hint: (ours ? "re-run `deno task cilium` to apply meshup's updated probe policy; " : "") +
      `allow ${PROBE_IPV6}/128 next to ${PROBE_IPV4}/32 (istio.io#16833, istio#56484)`,
  };
}

async function checkHbonePolicies(ctx: CheckContext): Promise<CheckOutcome> {
  const labelled = await ctx.list({ apiVersion: "v1", kind: "Namespace" }, {
    labelSelector: AMBIENT_LABEL,
  });
  const names = new Set(labelled.map((n) => String((n.metadata as Json).name)));
  // meshup enrols bookinfo's namespace itself
  if (ctx.config.bookinfo.namespace) names.add(ctx.config.bookinfo.namespace);
  const all = await policies(ctx);
  const blocked: string[] = [];
  for (const ns of [...names].sort()) {
    // the namespace's own policies and the cluster-wide ones
    const relevant = all.filter((p) => p.namespace === ns || p.namespace === undefined);
    if (!relevant.some((p) => p.restrictsIngress)) continue;
    const pods = await ctx.list(POD, { namespace: ns });
    if (pods.length === 0) {
      // nothing to select yet: judge the namespace's own policies
      const own = relevant.filter((p) => p.namespace === ns);
      if (own.some((p) => p.restrictsIngress) && !own.some((p) => p.allowsHbone)) {
        blocked.push(`namespace ${ns} (${describe(own.filter((p) => p.restrictsIngress))})`);
      }
      continue;
    }
    for (const pod of pods) {
      const meta = (pod.metadata ?? {}) as Json;
      const labels = (meta.labels ?? {}) as Record<string, string>;
      const selecting = relevant.filter((p) => p.selects(labels, ns));
      const restricting = selecting.filter((p) => p.restrictsIngress);
      if (restricting.length > 0 && !selecting.some((p) => p.allowsHbone)) {
        blocked.push(`pod ${ns}/${String(meta.name)} (${describe(restricting)})`);
      }
    }
  }
  const shownNs = names.size === 1 ? "1 ambient namespace" : `${names.size} ambient namespaces`;
  if (blocked.length === 0) {
    return {
      status: "pass",
      detail: `${shownNs}: no policy keeps HBONE (TCP ${HBONE_PORT}) out of ambient pods`,
    };
  }
  return {
    status: "fail",
    detail: `HBONE (TCP ${HBONE_PORT}) is blocked for ${blocked.slice(0, 3).join(", ")}${
      blocked.length > 3 ? `, and ${blocked.length - 3} more` : ""
    }: ztunnel's mesh traffic to them is dropped`,
    hint: `allow ingress on TCP ${HBONE_PORT} in the policies that select ambient pods ` +
      "(Istio's ambient NetworkPolicy docs; istio#49277)",
  };
}

function describe(views: readonly PolicyView[]): string {
  const shown = views.slice(0, 3).map((v) => `${v.kind} ${v.name}`).join(", ");
  return views.length > 3 ? `${shown} and ${views.length - 3} more` : shown;
}
