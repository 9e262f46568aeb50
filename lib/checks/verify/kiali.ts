/**
 * Kiali: the operator has reconciled the Kiali CR, and the server it
 * created is ready.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { conditionsOf } from "../../run/kstatus.ts";
import { deploymentCheck } from "./workloads.ts";

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
  const conditions = conditionsOf(cr);
  const failure = conditions.find((c) => c.type === "Failure" && c.status === "True");
  if (failure) {
    return {
      status: "fail",
      detail: `${where} failed to reconcile: ${failure.message || failure.reason}`,
      hint: `kubectl -n ${ns} logs deploy/kiali-operator`,
    };
  }
  if (conditions.length === 0) {
    return { status: "pass", detail: `${where} exists (no status reported)` };
  }
  const ok = conditions.find((c) =>
    (c.type === "Successful" || c.type === "Running") && c.status === "True"
  );
  if (ok) {
    return { status: "pass", detail: `${where} reconciled (${ok.type}: ${ok.reason || "True"})` };
  }
  return {
    status: "warn",
    detail: `${where} not reconciled yet: ${
      conditions.map((c) => `${c.type}=${c.status}`).join(", ")
    }`,
    hint: `kubectl -n ${ns} logs deploy/kiali-operator`,
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
