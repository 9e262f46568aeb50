/**
 * Step guards: conditions on the live cluster that decide whether a step
 * runs (a CRD exists; a default-deny policy exists somewhere).
 */
import type { CommandHooks, Json, Kube } from "../kube/kube.ts";
import type { StepGuard } from "../plan/plan.ts";

/** Whether `when` holds now. */
export async function evaluateGuard(
  kube: Kube,
  when: StepGuard,
  hooks: CommandHooks,
): Promise<boolean> {
  if (when.type === "crd-exists") return await kube.crdExists(when.crd, hooks);
  // one list per kind, side by side; a Cilium kind whose CRD is absent has no policies
  const [nps, ...cilium] = await Promise.all([
    kube.list({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" }, hooks),
    ...["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"].map((kind) =>
      kube.list({ apiVersion: "cilium.io/v2", kind }, hooks)
    ),
  ]);
  return nps.some(isDefaultDenyNetworkPolicy) ||
    cilium.some((items) => items.some(isDefaultDenyCiliumPolicy));
}

/** Why a step whose guard does not hold is skipped. */
export function guardReason(when: StepGuard): string {
  return when.type === "crd-exists"
    ? `CRD ${when.crd} not installed`
    : "no default-deny policy in the cluster";
}

/** A NetworkPolicy selecting every pod that allows nothing in some direction. */
export function isDefaultDenyNetworkPolicy(np: Json): boolean {
  const spec = (np.spec ?? {}) as Json;
  const selector = (spec.podSelector ?? {}) as Json;
  if (Object.keys(selector).some((k) => Object.keys((selector[k] ?? {}) as Json).length > 0)) {
    return false;
  }
  const types = (spec.policyTypes as string[] | undefined) ?? ["Ingress"];
  const ingress = spec.ingress as unknown[] | undefined;
  const egress = spec.egress as unknown[] | undefined;
  return (types.includes("Ingress") && (!ingress || ingress.length === 0)) ||
    (types.includes("Egress") && (!egress || egress.length === 0));
}

/** A Cilium policy selecting every endpoint (default-deny for it on Cilium >= 1.16), other than ours. */
export function isDefaultDenyCiliumPolicy(p: Json): boolean {
  const name = (p.metadata as Json)?.name;
  if (name === "allow-ambient-hostprobes") return false;
  const spec = (p.spec ?? {}) as Json;
  const sel = spec.endpointSelector as Json | undefined;
  const edd = spec.enableDefaultDeny as Json | undefined;
  if (edd && edd.ingress === false && edd.egress === false) return false;
  return sel !== undefined &&
    Object.keys(sel).every((k) => Object.keys((sel[k] ?? {}) as Json).length === 0);
}
