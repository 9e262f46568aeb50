/** Shared by the KubeClient tests: a simulator and a client on its kubeconfig. */
import { assertEquals } from "../../_assert.ts";
import { KubeClient, type KubeClientOptions, type KubeObject } from "../../../lib/kube/client.ts";
import { type Sim, startSim } from "../../sim/mod.ts";
import { until as waitFor } from "../../sim/_tools.ts";

export type SimOptions = Parameters<typeof startSim>[0];

/** Fast retries so a test never waits on real backoff. */
export const FAST: KubeClientOptions = { retry: { baseMs: 5, maxDelayMs: 20 } };

export async function withClient(
  fn: (kube: KubeClient, sim: Sim) => Promise<void>,
  options: SimOptions = {},
  clientOptions: KubeClientOptions = FAST,
): Promise<void> {
  const sim = await startSim({ readyAfterMs: 20, tls: true, ...options });
  const kube = await KubeClient.fromKubeconfig({ path: sim.kubeconfig, ...clientOptions });
  try {
    await fn(kube, sim);
    assertEquals(sim.errors, []);
  } finally {
    kube.close();
    await sim.close();
  }
}

export function configMap(
  name: string,
  namespace: string,
  data: Record<string, string>,
): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data };
}

export function names(list: KubeObject[]): string[] {
  return list.map((o) => String((o.metadata as KubeObject).name)).sort();
}

/** Waits (bounded) until `check` holds; throws naming `what` at the deadline. */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  if (!(await waitFor(check, ms))) throw new Error(`timed out waiting for ${what}`);
}
