/**
 * Kiali: the operator's last reconcile of the Kiali CR succeeded, by the
 * operator's own status conditions, and the server it created is ready.
 *
 * kiali-operator is an Ansible operator (operator-sdk's ansible-operator),
 * which manages the CR's `status.conditions` itself:
 * - while a reconcile runs: `Running=True`, reason `Running` ("Running
 *   reconciliation");
 * - after a successful one: `Running=True`, reason `Successful` ("Awaiting
 *   next reconciliation") and, in newer releases, `Successful=True` ("Last
 *   reconciliation succeeded") with `Failure=False`;
 * - after a failed one: `Failure=True`, reason `Failed`, the failed task's
 *   message, and `Running=False`.
 * No conditions at all means the operator never got to the CR.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { deploymentCheck } from "./workloads.ts";
import { describeCondition, staleness, type StatusCondition, statusConditions } from "./_status.ts";

/** The condition types and reasons kiali-operator (ansible-operator) writes. */
export const KIALI_CONDITION = {
  running: "Running",
  successful: "Successful",
  failure: "Failure",
} as const;
export const KIALI_REASON = {
  running: "Running",
  successful: "Successful",
  failed: "Failed",
} as const;

export const kialiCr: CheckDef = {
  id: "kiali-cr",
  title: "Kiali CR",
  appliesTo: (config) => config.kiali.enabled,
  run: checkKialiCr,
};

export const kialiServer: CheckDef = {
  id: "kiali-server",
  title: "Kiali server",
  appliesTo: (config) => config.kiali.enabled,
  run: checkKialiServer,
};

/** The verdict on a Kiali CR's conditions: pass, reconciling, failed or silent. */
export function kialiReconcile(
  cr: Record<string, unknown>,
): { ok: true; by: StatusCondition } | { ok: false; why: string; failed: boolean } {
  const conditions = statusConditions(cr);
  const find = (type: string): StatusCondition | undefined =>
    conditions.find((c) => c.type === type);
  const failure = find(KIALI_CONDITION.failure);
  if (failure?.status === "True") {
    return {
      ok: false,
      failed: true,
      why: `the operator's last reconcile failed: ${failure.message || failure.reason}`,
    };
  }
  if (conditions.length === 0) {
    return { ok: false, failed: false, why: "the operator has reported nothing on it" };
  }
  const running = find(KIALI_CONDITION.running);
  const successful = find(KIALI_CONDITION.successful);
  const ok = successful?.status === "True"
    ? successful
    : running?.status === "True" && running.reason === KIALI_REASON.successful
    ? running
    : undefined;
  if (!ok) {
    const now = running?.status === "True" && running.reason === KIALI_REASON.running;
    return {
      ok: false,
      failed: false,
      why: now
        ? "the operator is reconciling it now"
        : `no successful reconcile: ${conditions.map(describeCondition).join(", ")}`,
    };
  }
  const stale = staleness(cr, ok);
  if (stale) return { ok: false, failed: false, why: stale };
  return { ok: true, by: ok };
}

async function checkKialiCr(ctx: CheckContext): Promise<CheckOutcome> {
  const ns = ctx.config.kiali.namespace;
  const where = `Kiali ${ns}/kiali`;
  const cr = await ctx.get({
    apiVersion: "kiali.io/v1alpha1",
    kind: "Kiali",
    namespace: ns,
    name: "kiali",
  });
  if (!cr) return { status: "fail", detail: `${where} not found`, hint: "run `deno task kiali`" };
  const verdict = kialiReconcile(cr);
  if (verdict.ok) {
    return {
      status: "pass",
      detail: `${where} reconciled (${verdict.by.type}: ${verdict.by.reason || "True"})`,
    };
  }
  return {
    status: "fail",
    detail: `${where} not reconciled: ${verdict.why}`,
    hint: verdict.failed
      ? `fix what the operator reports, then: kubectl -n ${ns} logs deploy/kiali-operator`
      : `is kiali-operator running? kubectl -n ${ns} get deploy/kiali-operator; ` +
        `kubectl -n ${ns} logs deploy/kiali-operator`,
  };
}

function checkKialiServer(ctx: CheckContext): Promise<CheckOutcome> {
  return deploymentCheck(ctx, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: ctx.config.kiali.namespace,
    name: "kiali",
  }, "kiali");
}
