/**
 * Helpers for the tests of `verify` against the simulated API server: a Kube
 * on the simulator, verify and up on a cluster, a productpage stand-in on
 * 127.0.0.1, and the checks' ids.
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";
import type { Cluster } from "../_cluster.ts";
import type { CheckResult } from "../../lib/checks/common.ts";
import { type Config, parseConfig } from "../../lib/config/config.ts";
import { Kube } from "../../lib/kube/kube.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { DenoProcessRunner } from "../../lib/kube/process.ts";
import { Redactor } from "../../lib/output/redact.ts";
import { runVerify, type VerifyOptions } from "../../lib/checks/verify/mod.ts";
import { kubeBinaries } from "../sim/binaries.ts";
import type { Rec } from "../sim/mod.ts";

/** Runs `fn` with a Kube on `kubeconfig`: the in-process client and the real kubectl/helm. */
export async function withKube<T>(kubeconfig: string, fn: (kube: Kube) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "meshup-verify-" });
  // the in-process client: ztunnel's admin API is read through its port-forward
  const api = await KubeClient.fromKubeconfig({ path: kubeconfig });
  try {
    const kube = new Kube({
      api,
      proc: new DenoProcessRunner({
        binaries: await kubeBinaries(),
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfig },
      }),
      target: {},
      redactor: new Redactor(),
      retry: { baseMs: 10, maxAttempts: 2 },
    });
    return await fn(kube);
  } finally {
    api.close();
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

/** The config of cluster `c`, with `env` over its environment. */
export function configFor(c: Cluster, env: Record<string, string> = {}): Config {
  return parseConfig(undefined, { env: { ...c.env, ...env } });
}

/** Runs verify against cluster `c`. */
export async function verify(
  c: Cluster,
  options: VerifyOptions & { env?: Record<string, string> } = {},
): Promise<CheckResult[]> {
  const { env, ...rest } = options;
  return await withKube(c.kubeconfig, (kube) => runVerify(kube, configFor(c, env), rest));
}

/** Runs `up` on cluster `c` and expects it to succeed. */
export async function up(c: Cluster, env: Record<string, string> = {}): Promise<void> {
  const r = await c.run(["up"], { env });
  assertEquals(r.code, 0, `${r.err}\n${r.out.slice(-2000)}`);
}

/** The result of check `id`; fails the test when there is none. */
export function byId(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  assert(r, `no check "${id}" in ${results.map((x) => x.id).join(", ")}`);
  return r;
}

/** Runs kubectl on cluster `c` and expects it to succeed. */
export async function kubectl(c: Cluster, ...args: string[]): Promise<void> {
  const r = await c.tool(["kubectl", ...args]);
  assertEquals(r.code, 0, r.stderr);
}

/**
 * A server on 127.0.0.1 answering every request with `status`; records Host
 * headers. With `traffic`, each request is also one productpage request in
 * the simulator's ambient model (ztunnel's counters), as bookinfo's would be.
 */
export async function withProductpage(
  status: number,
  fn: (address: string, hosts: string[]) => Promise<void>,
  traffic?: { sim: Cluster["sim"]; namespace?: string },
): Promise<void> {
  const hosts: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hosts.push(`${req.headers.get("host")} ${new URL(req.url).pathname}`);
    traffic?.sim.ambient.recordProductpageRequest(traffic.namespace);
    return new Response(status === 200 ? "<title>Simple Bookstore App</title>" : "no", { status });
  });
  try {
    await fn(`127.0.0.1:${server.addr.port}`, hosts);
  } finally {
    await server.shutdown();
  }
}

/** An address on 127.0.0.1 where nothing listens. */
export function deadAddress(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `127.0.0.1:${port}`;
}

/** The Prometheus Operator's ServiceMonitor and PodMonitor CRDs. */
export const PROMETHEUS_CRDS: Rec[] = [
  ["ServiceMonitor", "servicemonitors"],
  ["PodMonitor", "podmonitors"],
].map(([kind, plural]) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.monitoring.coreos.com` },
  spec: {
    group: "monitoring.coreos.com",
    scope: "Namespaced",
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    }],
  },
}));

/** Every check of verify, in order. */
export const ALL_IDS = [
  "istiod",
  "istio-cni",
  "ztunnel",
  "gateway-address",
  "ambient-namespaces",
  "mesh-hbone",
  "bookinfo-gateway",
  "tracing-provider",
  "monitors",
  "kiali-cr",
  "kiali-server",
  "productpage",
  "mesh-mtls",
];
