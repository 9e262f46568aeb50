// To add a doctor check: write it as a `CheckDef` ({ id, title, run(ctx) }) in the family module
// it belongs to (tools, cluster, versions, upgrade, cilium, ambient_policies, addons), then add one line for it to LOCAL or
// NEEDS_CLUSTER below; the order of these lists is the order of the report.
/**
 * `doctor`: read-only preflight. Tools and their versions, the context and
 * cluster that will be used, Kubernetes and Istio version support, node
 * architectures, install permissions (SelfSubjectAccessReview), Cilium's
 * live settings, Prometheus Operator CRDs, cert-manager and the ingress
 * class for Kiali, installed Gateway API CRDs, default-deny policies, Kiali
 * against Istio, the upgrade prechecks (skew, CRDs) and the policies that
 * break ambient (probe policy without IPv6, HBONE blocked).
 *
 * Nothing here writes to the cluster: the only POST is a
 * SelfSubjectAccessReview, which the API server answers without storing.
 */
import { type Check, type CheckResult, runChecks } from "../common.ts";
import { bindChecks, CheckContext, type CheckDef } from "../context.ts";
import type { Config } from "../../config/config.ts";
import type { CommandHooks, Kube } from "../../kube/kube.ts";
import * as addons from "./addons.ts";
import * as ambientPolicies from "./ambient_policies.ts";
import * as cilium from "./cilium.ts";
import * as cluster from "./cluster.ts";
import * as tools from "./tools.ts";
import * as upgrade from "./upgrade.ts";
import * as versions from "./versions.ts";

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

/** Checks that run whether or not the cluster answers. */
const LOCAL: readonly CheckDef[] = [
  tools.kubectl,
  tools.helm,
  cluster.context,
  cluster.apiServer,
  versions.istioLine,
  versions.kialiIstio,
];

/** Checks left out of the report when the API server cannot be reached. */
const NEEDS_CLUSTER: readonly CheckDef[] = [
  versions.k8sVersion,
  upgrade.istioSkew,
  upgrade.istioCrds,
  cluster.nodes,
  cluster.permissions,
  cilium.cilium,
  addons.prometheusCrds,
  addons.clusterIssuer,
  addons.ingressClass,
  addons.gatewayApi,
  cilium.defaultDeny,
  ambientPolicies.probePolicyIpv6,
  ambientPolicies.hbonePolicies,
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
  const ctx = new CheckContext(kube, config, { hooks: options.hooks, now: options.now });
  // checks that need the cluster start at once but wait for `kubectl version`;
  // when the server cannot be reached they are left out
  const skipped = new Set<string>();
  const gated = bindChecks(NEEDS_CLUSTER, ctx).map((check): Check => ({
    ...check,
    run: async () => {
      if ((await ctx.version()).ok) return await check.run();
      skipped.add(check.id);
      return { status: "pass", detail: "not checked: cluster unreachable" };
    },
  }));
  const checks = [...bindChecks(LOCAL, ctx), ...gated];
  const results = await runChecks(checks, { concurrency: options.concurrency ?? 16 });
  return results.filter((r) => !skipped.has(r.id));
}
