// To add a verify check: write it as a `CheckDef` ({ id, title, appliesTo?, run(ctx) }) in the
// family module it belongs to (workloads, gateway, mesh, telemetry, kiali, http), then add one
// line for it to CHECKS below; the order of the list is the order of the report.
/**
 * `verify`: read-only proof that the mesh works. The control plane and the
 * node agents are ready on every schedulable node, the gateway has an
 * address, bookinfo is enrolled in ambient and bound to the installed
 * gateway (the how-to's selector mismatch, errata 2), every ambient pod
 * captured and on HBONE in ztunnel's view, the tracing provider
 * the Telemetry resource names exists in meshConfig, the monitors exist,
 * Kiali has reconciled, and a real request to `/productpage` through the
 * gateway answers 200 and grows ztunnel's mutual_tls connection counters.
 * Objects with a status contract pass on their status, never on existing.
 * With `strict`, `mesh-strict` (mesh_strict.ts) then proves STRICT mTLS is
 * enforced; it changes the cluster and restores it.
 */
import { type CheckResult, runChecks } from "../common.ts";
import { bindChecks, CheckContext, type CheckDef } from "../context.ts";
import type { Config } from "../../config/config.ts";
import type { CommandHooks, Kube } from "../../kube/kube.ts";
import * as gateway from "./gateway.ts";
import * as http from "./http.ts";
import * as kiali from "./kiali.ts";
import * as mesh from "./mesh.ts";
import * as meshMtls from "./mesh_mtls.ts";
import { type MeshStrictOptions, runMeshStrict } from "./mesh_strict.ts";
import { clusterFromClient } from "./_strict_cluster.ts";
import { clusterFromKubectl } from "./_strict_kubectl.ts";
import * as telemetry from "./telemetry.ts";
import * as workloads from "./workloads.ts";

export interface VerifyOptions extends http.ProductpageOptions {
  /** checks running at once (default 8) */
  concurrency?: number;
  /** passed to every command (`onCommand` to show them, `signal` to stop) */
  hooks?: CommandHooks;
  /**
   * `--strict`: after the other checks, `mesh-strict`, which changes the
   * cluster and restores it (the caller holds the run lock). Its `signal`
   * defaults to `hooks.signal`.
   */
  strict?: boolean | MeshStrictOptions;
}

/** Every verify check, in report order; each `appliesTo` leaves out what the config turns off. */
const CHECKS: readonly CheckDef<VerifyOptions>[] = [
  workloads.istiod,
  workloads.istioCni,
  workloads.ztunnel,
  gateway.gatewayAddress,
  mesh.ambientNamespaces,
  mesh.meshHbone,
  gateway.bookinfoGateway,
  gateway.waypointGateway,
  telemetry.tracingProvider,
  telemetry.monitors,
  kiali.kialiCr,
  kiali.kialiServer,
  http.productpage,
  meshMtls.meshMtls,
];

/** Runs every post-install check that applies to the config, in a fixed order. */
export async function runVerify(
  kube: Kube,
  config: Config,
  options: VerifyOptions = {},
): Promise<CheckResult[]> {
  const ctx = new CheckContext(kube, config, { hooks: options.hooks, options });
  const results = await runChecks(bindChecks(CHECKS, ctx), { concurrency: options.concurrency });
  if (!options.strict) return results;
  const strict = options.strict === true ? {} : options.strict;
  // in process when the client serves the kubeconfig; else one kubectl command a write
  const cluster = kube.api
    ? clusterFromClient(kube.api, options.hooks?.onCommand)
    : clusterFromKubectl(kube, options.hooks?.onCommand);
  return [
    ...results,
    await runMeshStrict(cluster, config, { signal: options.hooks?.signal, ...strict }),
  ];
}
