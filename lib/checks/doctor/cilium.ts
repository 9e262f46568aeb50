/**
 * Cilium, when it is the CNI: the live settings ambient needs (ConfigMap
 * cilium-config, errata 6, and no eBPF host routing: cilium#36022) and
 * default-deny policies, which block ambient's SNAT-ed kubelet probes unless
 * the probe policy is applied.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import type { Config } from "../../config/config.ts";
import type { Json } from "../../kube/kube.ts";
import { isDefaultDenyCiliumPolicy, isDefaultDenyNetworkPolicy } from "../../run/mod.ts";

export const cilium: CheckDef = { id: "cilium", title: "Cilium", run: checkCilium };

export const defaultDeny: CheckDef = {
  id: "default-deny",
  title: "default-deny",
  run: checkDefaultDeny,
};

/** ConfigMap cilium-config in the configured namespace; undefined without Cilium. */
export function ciliumConfigMap(ctx: CheckContext): Promise<Json | undefined> {
  return ctx.get({
    apiVersion: "v1",
    kind: "ConfigMap",
    name: "cilium-config",
    namespace: ctx.config.cilium.namespace,
  });
}

async function checkCilium(ctx: CheckContext): Promise<CheckOutcome> {
  const cm = await ciliumConfigMap(ctx);
  if (!cm) {
    return {
      status: "pass",
      detail: `Cilium not found (no ConfigMap ${ctx.config.cilium.namespace}/cilium-config)`,
    };
  }
  return ciliumSettingsCheck((cm.data ?? {}) as Record<string, string>, ctx.config);
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
  const hostRouting = ebpfHostRouting(data, kprOff);
  if (hostRouting) broken.push(hostRouting);
  if (fixable.length === 0 && broken.length === 0) {
    return {
      status: "pass",
      detail: `${c.namespace}/cilium-config allows ambient (bpf-lb-sock-hostns-only ${
        kprOff ? "not needed: kube-proxy replacement off" : '"true"'
      }, cni-exclusive "false", ${
        data["enable-host-legacy-routing"] === "true"
          ? 'enable-host-legacy-routing "true"'
          : "no eBPF host routing"
      })`,
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
      hint: `set bpf.hostLegacyRouting=true (or bpf.masquerade=false) in release "${c.release}"${
        fixable.length > 0 ? `; then ${fixHint}` : ""
      } (${HOST_ROUTING_SOURCES})`,
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

/** Where eBPF host routing breaking ambient is written down. */
const HOST_ROUTING_SOURCES = "cilium#36022, a known limitation since cilium PR #38338; " +
  "istio#52208";

/**
 * eBPF host routing drops the replies to ambient's SNAT-ed kubelet probes
 * (169.254.7.127): cilium#36022, documented by cilium PR #38338 (the datapath
 * fix, cilium PR #46625, was closed unmerged). cilium-config shows it as
 * `enable-host-legacy-routing` (Helm `bpf.hostLegacyRouting`); without the
 * key Cilium picks eBPF host routing by itself when BPF masquerading and
 * kube-proxy replacement are on (Cilium's tuning guide). Undefined: fine.
 */
function ebpfHostRouting(data: Record<string, string>, kprOff: boolean): string | undefined {
  const legacy = data["enable-host-legacy-routing"];
  // eBPF host routing needs eBPF kube-proxy replacement: without it Cilium routes legacy
  if (legacy === "true" || kprOff) return undefined;
  if (legacy === "false") {
    return 'enable-host-legacy-routing is "false": eBPF host routing drops the replies to ' +
      "ambient's kubelet probes";
  }
  if (data["enable-bpf-masquerade"] === "true") {
    return 'enable-bpf-masquerade is "true" with kube-proxy replacement and ' +
      "enable-host-legacy-routing unset: Cilium turns on eBPF host routing, which drops the " +
      "replies to ambient's kubelet probes";
  }
  return undefined;
}

async function checkDefaultDeny(ctx: CheckContext): Promise<CheckOutcome> {
  const ciliumKinds = [
    ["ciliumnetworkpolicies.cilium.io", "CiliumNetworkPolicy"],
    ["ciliumclusterwidenetworkpolicies.cilium.io", "CiliumClusterwideNetworkPolicy"],
  ] as const;
  const CILIUM_API = "cilium.io/v2";
  const [nps, ...ciliumCrds] = await Promise.all([
    ctx.list({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" }),
    ...ciliumKinds.map(([crd]) => ctx.crdExists(crd)),
  ]) as [Json[], ...boolean[]];
  const found = nps.filter(isDefaultDenyNetworkPolicy)
    .map((np) => `NetworkPolicy ${refName(np)}`);
  const ciliumLists = await Promise.all(
    ciliumKinds.map(([, kind], i) =>
      ciliumCrds[i] ? ctx.list({ apiVersion: CILIUM_API, kind }) : Promise.resolve([])
    ),
  );
  for (const [i, [, kind]] of ciliumKinds.entries()) {
    for (const p of ciliumLists[i]) {
      if (isDefaultDenyCiliumPolicy(p)) found.push(`${kind} ${refName(p)}`);
    }
  }
  if (found.length === 0) return { status: "pass", detail: "no default-deny policy found" };
  const shown = `${found.length} default-deny ${found.length === 1 ? "policy" : "policies"}: ${
    found.slice(0, 3).join(", ")
  }${found.length > 3 ? `, and ${found.length - 3} more` : ""}`;
  const probePolicy = ctx.config.cilium.probePolicy;
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

function refName(o: Json): string {
  const meta = (o.metadata ?? {}) as Json;
  return meta.namespace ? `${meta.namespace}/${meta.name}` : String(meta.name);
}
