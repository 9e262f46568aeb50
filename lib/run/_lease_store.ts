/**
 * The reads and writes of the run lock's Lease: through the in-process API
 * client when there is one, else through kubectl; a write that loses a race
 * (AlreadyExists, Conflict) resolves to undefined instead of failing.
 */
import { InputError } from "../errors.ts";
import { ApiError } from "../kube/client.ts";
import type { Json, Kube } from "../kube/kube.ts";
import { CommandError } from "../kube/retry.ts";

export interface LeaseRecord {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaseStore {
  get(signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  /** undefined when it exists already */
  create(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  /** conditioned on `metadata.resourceVersion`: undefined when the Lease changed or went */
  update(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  /**
   * Watches the Lease until its resourceVersion differs from `observed`'s
   * (then the Lease, with no holder if it was deleted), or undefined when
   * `timeoutMs` passes without a change.
   */
  changed(
    observed: LeaseRecord,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<LeaseRecord | undefined>;
}

const REF = { apiVersion: "coordination.k8s.io/v1", kind: "Lease" } as const;
const HINT =
  "meshup's run lock needs: kubectl auth can-i create,update,watch leases -n kube-system";

/** The store for a `Kube`: its API client, or kubectl. */
export function leaseStore(kube: Kube): LeaseStore {
  const name = "meshup";
  const namespace = "kube-system";
  const api = kube.api;
  const fail = (action: string, e: unknown): never => {
    if (e instanceof InputError) throw e;
    const detail = e instanceof CommandError
      ? e.stderr.trim().split("\n").at(-1) ?? e.message
      : e instanceof Error
      ? e.message.split("\n")[0]
      : String(e);
    throw new InputError(`Cannot ${action} the lock "${namespace}/${name}": ${detail}`, HINT);
  };
  const changed: LeaseStore["changed"] = async (observed, options) => {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const stop = new AbortController();
    const signal = AbortSignal.any([
      deadline,
      stop.signal,
      ...(options.signal ? [options.signal] : []),
    ]);
    let latest: LeaseRecord | undefined;
    const rv = observed.metadata.resourceVersion;
    try {
      await kube.watch(
        { ...REF, namespace, fieldSelector: `metadata.name=${name}` },
        {
          signal,
          onObject: (type, obj) => {
            const lease = obj as unknown as LeaseRecord;
            if (lease.metadata?.name !== name || lease.metadata.resourceVersion === rv) return;
            latest = type === "DELETED"
              ? { ...lease, spec: { ...lease.spec, holderIdentity: "" } }
              : lease;
            stop.abort();
          },
        },
      );
    } catch (e) {
      fail("watch", e);
    }
    if (options.signal?.aborted) throw options.signal.reason;
    return latest;
  };
  if (api) {
    const lost = (e: unknown): undefined => {
      if (e instanceof ApiError && (e.status === 409 || e.status === 404)) return undefined;
      return fail("write", e);
    };
    return {
      get: (signal) =>
        api.get({ ...REF, namespace, name }, { signal }).then(
          (o) => o as LeaseRecord | undefined,
          (e) => fail("read", e),
        ),
      create: (lease, signal) =>
        api.create(lease as unknown as Json, { signal }).then(
          (o) => o as unknown as LeaseRecord,
          lost,
        ),
      update: (lease, signal) =>
        api.update(lease as unknown as Json, { signal }).then(
          (o) => o as unknown as LeaseRecord,
          lost,
        ),
      changed,
    };
  }
  const write = async (
    verb: "create" | "replace",
    lease: LeaseRecord,
    signal?: AbortSignal,
  ): Promise<LeaseRecord | undefined> => {
    try {
      const r = await kube.exec(kube.kubectlArgv(verb, "-f", "-", "-o", "json"), {
        stdin: JSON.stringify(lease),
        signal,
      });
      return JSON.parse(r.stdout) as LeaseRecord;
    } catch (e) {
      if (e instanceof CommandError && LOST.test(e.stderr)) return undefined;
      return fail("write", e);
    }
  };
  return {
    async get(signal) {
      try {
        const r = await kube.exec(
          kube.kubectlArgv(
            "get",
            "lease",
            name,
            `--namespace=${namespace}`,
            "--ignore-not-found",
            "-o",
            "json",
          ),
          { signal },
        );
        return r.stdout.trim() ? JSON.parse(r.stdout) as LeaseRecord : undefined;
      } catch (e) {
        return fail("read", e);
      }
    },
    create: (lease, signal) => write("create", lease, signal),
    update: (lease, signal) => write("replace", lease, signal),
    changed,
  };
}

const LOST =
  /AlreadyExists|already exists|Conflict|the object has been modified|NotFound|not found/;
