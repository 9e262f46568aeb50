/**
 * `mesh-strict` (`verify --strict`, opt-in: it changes the cluster, so the
 * CLI holds the run lock around it): a plaintext client from a namespace
 * outside the mesh reaches productpage while bookinfo's namespace is
 * PERMISSIVE (the positive control), then is refused once a STRICT
 * PeerAuthentication covers the namespace, which proves that ztunnel
 * enforces mutual TLS for bookinfo's pods.
 *
 * The client is a short-lived Pod running curl in a temporary namespace
 * that meshup creates and deletes. The user's namespace-wide
 * PeerAuthentications are backed up to a ConfigMap marked as ours before
 * they are replaced, and restored in `finally` with a fresh signal (an
 * interrupted run still restores them); a run killed before that is
 * restored by the next `verify --strict` before it starts (see
 * `_strict_cluster.ts`).
 */
import type { CheckOutcome, CheckResult } from "../common.ts";
import { failFromError } from "../common.ts";
import type { Config } from "../../config/config.ts";
import type { Json } from "../../kube/kube.ts";
import {
  backupConfigMap,
  MANAGED_BY,
  namespaceWide,
  PEER_AUTHENTICATION,
  podState,
  POLICY_NAME,
  refOf,
  restoreStrict,
  ROLE_LABEL,
  type StrictCluster,
  strictPolicy,
} from "./_strict_cluster.ts";

export const MESH_STRICT = { id: "mesh-strict", title: "mesh STRICT mTLS" } as const;

/** The curl image of the client Pod (pinned). */
export const CURL_IMAGE = "docker.io/curlimages/curl:8.11.1";

export interface MeshStrictOptions {
  /** stops the test (Ctrl-C); the restore still runs, with its own deadline */
  signal?: AbortSignal;
  /** how long one client Pod may take to finish (default 120 s) */
  podTimeoutMs?: number;
  /** how long the restore may take (default 60 s) */
  restoreTimeoutMs?: number;
  /** clients run after STRICT is applied until one is refused (default 3: policy propagation) */
  strictAttempts?: number;
  /** the client namespace's name (default `meshup-verify-strict-<random>`) */
  clientNamespace?: string;
  /** called once the positive control passed (tests interrupt here) */
  onPositive?(): void;
}

/** A client Pod's result: whether curl reached productpage, and its exit code. */
interface Probe {
  reached: boolean;
  exitCode: number | undefined;
  pod: string;
}

/** Runs the STRICT test and always restores; a failure of the restore fails the check. */
export async function runMeshStrict(
  cluster: StrictCluster,
  config: Config,
  options: MeshStrictOptions = {},
): Promise<CheckResult> {
  const ns = config.bookinfo.namespace;
  const fresh = (): AbortSignal => AbortSignal.timeout(options.restoreTimeoutMs ?? 60_000);
  let outcome: CheckOutcome;
  let leftovers = 0;
  try {
    // a run killed before its restore left these: put them back first
    leftovers = await restoreStrict(cluster, ns, fresh());
    outcome = await strictTest(cluster, config, options);
  } catch (e) {
    outcome = options.signal?.aborted
      ? { status: "fail", detail: "interrupted", hint: "run `deno task verify --strict` again" }
      : failFromError(e);
  }
  try {
    const restored = await restoreStrict(cluster, ns, fresh());
    if (restored > 0 && outcome.status === "pass") {
      outcome = {
        ...outcome,
        detail: `${outcome.detail}; ${restored} of your PeerAuthentications restored`,
      };
    }
  } catch (e) {
    outcome = {
      status: "fail",
      detail: `${outcome.detail}; and the restore failed: ${failFromError(e).detail}`,
      hint: `the next \`deno task verify --strict\` restores the backup in ConfigMap ${ns}/` +
        `meshup-verify-strict-backup; or by hand: kubectl -n ${ns} delete peerauthentication ` +
        POLICY_NAME,
    };
  }
  if (leftovers > 0 && outcome.status === "pass") {
    outcome = {
      ...outcome,
      detail: `${outcome.detail} (an earlier run's backup was restored first)`,
    };
  }
  return { ...MESH_STRICT, ...outcome };
}

async function strictTest(
  cluster: StrictCluster,
  config: Config,
  options: MeshStrictOptions,
): Promise<CheckOutcome> {
  const signal = options.signal ?? new AbortController().signal;
  const ns = config.bookinfo.namespace;
  const svc = await cluster.get({
    apiVersion: "v1",
    kind: "Service",
    namespace: ns,
    name: "productpage",
  }, signal);
  if (!svc) {
    return {
      status: "fail",
      detail: `Service ${ns}/productpage not found: nothing to test`,
      hint: "run `deno task bookinfo`",
    };
  }
  const port = Number(
    ((svc.spec as Json | undefined)?.ports as Json[] | undefined)?.[0]?.port ?? 9080,
  );
  const url = `http://productpage.${ns}.svc.cluster.local:${port}/productpage`;
  const users = (await cluster.list({ ...PEER_AUTHENTICATION, namespace: ns }, signal))
    .filter((pa) => namespaceWide(pa) && String((pa.metadata as Json).name) !== POLICY_NAME);
  // the backup first: from here on, a killed run is restored by the next one
  await cluster.create(backupConfigMap(ns, users), signal);
  for (const pa of users) await cluster.delete(refOf(pa), signal);
  await cluster.apply(strictPolicy(ns, "PERMISSIVE"), signal);
  const clientNs = options.clientNamespace ??
    `meshup-verify-strict-${crypto.randomUUID().slice(0, 5)}`;
  await cluster.create({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: clientNs, labels: { ...MANAGED_BY, [ROLE_LABEL]: "client" } },
  }, signal);
  const before = await probe(cluster, clientNs, "curl-permissive", url, options);
  if (!before.reached) {
    return {
      status: "fail",
      detail: `positive control failed: a plaintext client in ${clientNs} could not reach ${url} ` +
        `with ${ns} PERMISSIVE (curl exit code ${before.exitCode ?? "none"}), so a refusal would ` +
        "prove nothing",
      hint: `check productpage answers inside the cluster: kubectl -n ${ns} get pods,svc; ` +
        "and that no NetworkPolicy blocks other namespaces",
    };
  }
  options.onPositive?.();
  await cluster.apply(strictPolicy(ns, "STRICT"), signal);
  let after: Probe | undefined;
  const attempts = Math.max(1, options.strictAttempts ?? 3);
  for (let i = 1; i <= attempts; i++) {
    after = await probe(cluster, clientNs, `curl-strict-${i}`, url, options);
    if (!after.reached) break;
  }
  if (after?.reached) {
    return {
      status: "fail",
      detail: `with PeerAuthentication ${ns}/${POLICY_NAME} STRICT, a plaintext client in ` +
        `${clientNs} still reached ${url} (${attempts} tries): mutual TLS is not enforced`,
      hint: "ztunnel enforces STRICT only for pods it captured: see mesh-hbone, and " +
        `kubectl label namespace ${ns} istio.io/dataplane-mode=ambient`,
    };
  }
  return {
    status: "pass",
    detail: `a plaintext client in ${clientNs} reached ${url} (PERMISSIVE), and was refused ` +
      `once PeerAuthentication ${ns}/${POLICY_NAME} was STRICT (curl exit code ${
        after?.exitCode ?? "none"
      })`,
  };
}

/** Runs one curl Pod to the end. */
async function probe(
  cluster: StrictCluster,
  namespace: string,
  name: string,
  url: string,
  options: MeshStrictOptions,
): Promise<Probe> {
  const signal = AbortSignal.any([
    options.signal ?? new AbortController().signal,
    AbortSignal.timeout(options.podTimeoutMs ?? 120_000),
  ]);
  await cluster.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { ...MANAGED_BY, [ROLE_LABEL]: "client" } },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 0,
      containers: [{
        name: "curl",
        image: CURL_IMAGE,
        args: ["-sS", "-f", "-o", "/dev/null", "--max-time", "10", url],
      }],
    },
  }, signal);
  let pod: Json;
  try {
    pod = await cluster.finishedPod(namespace, name, signal);
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new Error(
      `Cannot run the plaintext client ${namespace}/${name}: ${
        e instanceof Error ? e.message : String(e)
      } (kubectl -n ${namespace} describe pod ${name})`,
    );
  }
  const status = (pod.status ?? {}) as Json;
  const terminated = (((status.containerStatuses ?? []) as Json[])[0]?.state as Json | undefined)
    ?.terminated as Json | undefined;
  const exitCode = typeof terminated?.exitCode === "number" ? terminated.exitCode : undefined;
  return { reached: status.phase === "Succeeded", exitCode, pod: podState(pod) };
}
