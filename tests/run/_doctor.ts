/**
 * Helpers for the doctor tests: a Kube on the simulator with the real kubectl
 * and helm, the doctor run against a cluster, CRD fixtures, a cluster that
 * has what the example config asks for.
 */
import { assert } from "../_assert.ts";
import type { Cluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import { type Config, parseConfig } from "../../lib/config/config.ts";
import { runDoctor } from "../../lib/checks/doctor/mod.ts";
import { Kube } from "../../lib/kube/kube.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { Redactor } from "../../lib/output/redact.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import type { Rec } from "../sim/mod.ts";

export async function makeKube(
  kubeconfig: string,
  home: string,
  binaries: Partial<{ kubectl: string; helm: string }> = {},
): Promise<Kube> {
  return new Kube({
    proc: new DenoProcessRunner({
      binaries: { ...await kubeBinaries(), ...binaries },
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfig },
    }),
    target: {},
    redactor: new Redactor(),
    retry: { baseMs: 10, maxAttempts: 2 },
  });
}

export async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "meshup-doctor-" });
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

export function configFor(c: Cluster, env: Record<string, string> = {}): Config {
  return parseConfig(undefined, { env: { ...c.env, ...env } });
}

export async function doctor(c: Cluster, env: Record<string, string> = {}): Promise<CheckResult[]> {
  return await withHome(async (home) =>
    await runDoctor(await makeKube(c.kubeconfig, home), configFor(c, env))
  );
}

export function byId(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  assert(r, `no check "${id}" in ${results.map((x) => x.id).join(", ")}`);
  return r;
}

export function crd(
  group: string,
  kind: string,
  plural: string,
  options: { scope?: string; annotations?: Record<string, string>; version?: string } = {},
): Rec {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}`, annotations: options.annotations ?? {} },
    spec: {
      group,
      scope: options.scope ?? "Namespaced",
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [{
        name: options.version ?? "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      }],
    },
  };
}

export const PROMETHEUS_CRDS = [
  crd("monitoring.coreos.com", "ServiceMonitor", "servicemonitors"),
  crd("monitoring.coreos.com", "PodMonitor", "podmonitors"),
];

/** Everything the example config wants: Prometheus CRDs, cert-manager issuer, ingress class. */
export async function prepareHealthy(c: Cluster): Promise<void> {
  c.sim.seed([
    ...PROMETHEUS_CRDS,
    crd("cert-manager.io", "ClusterIssuer", "clusterissuers", { scope: "Cluster" }),
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "nginx" },
      spec: { controller: "k8s.io/ingress-nginx" },
    },
  ]);
  // the ClusterIssuer's type is served once its CRD is established
  await waitFor(() =>
    c.sim.api.typeOf({ apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer" }) !== undefined
  );
  c.sim.seed({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: "letsencrypt-issuer" },
    spec: { selfSigned: {} },
  });
}

export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
