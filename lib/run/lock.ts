/**
 * One mutating run per cluster: the Lease `kube-system/meshup`
 * (coordination.k8s.io/v1), held with the run's identity (user, host, pid,
 * command, start), renewed while the run lasts and released at its end.
 *
 * Staleness is judged as client-go's leader election does it, never by
 * comparing clocks: a Lease held by another run is watched for its whole
 * `leaseDurationSeconds`; a renewal seen in that time means its holder is
 * alive (the run is refused, exit 2), none means it is gone, and the Lease is
 * taken over by an update conditioned on the resourceVersion that was
 * observed, with a warning.
 */
import { InputError } from "../errors.ts";
import type { Kube } from "../kube/kube.ts";
import { type LeaseRecord, type LeaseStore, leaseStore } from "./_lease_store.ts";

export const LOCK_NAMESPACE = "kube-system";
export const LOCK_NAME = "meshup";
/** the annotation that holds the holder's details as JSON */
export const HOLDER_KEY = "meshup.dev/holder";

/** Who holds the lock. */
export interface LockHolder {
  user: string;
  host: string;
  pid: number;
  /** the command line, e.g. `up --timeout 5m` */
  command: string;
  /** when the run started, ISO 8601 */
  start: string;
}

export interface RunLockOptions {
  holder: LockHolder;
  /** how long a holder that stops renewing keeps the lock (default 15 s) */
  leaseDurationSeconds?: number;
  /** pause between renewals (default a third of the lease duration) */
  renewEveryMs?: number;
  now?: () => number;
  /** progress and the takeover warning */
  onNotice?(level: "info" | "warn", message: string): void;
  /** the lock was lost (taken over, or not renewed for its whole duration) */
  onLost?(message: string): void;
  /** the Lease's reads and writes (default: through `kube`) */
  store?: LeaseStore;
}

/** The identity of this process's run. */
export function currentHolder(command: string): LockHolder {
  const env = (name: string): string | undefined => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  return {
    user: env("USER") ?? env("LOGNAME") ?? "unknown",
    host: Deno.hostname(),
    pid: Deno.pid,
    command,
    start: new Date().toISOString(),
  };
}

/** `user@host pid N`: the Lease's holderIdentity. */
export function holderIdentity(holder: LockHolder): string {
  return `${holder.user}@${holder.host} pid ${holder.pid}`;
}

const ATTEMPTS = 4;

/** The run's hold on the cluster's Lease. */
export class RunLock {
  readonly #store: LeaseStore;
  readonly #options: RunLockOptions;
  readonly #identity: string;
  readonly #duration: number;
  #record?: LeaseRecord;
  #renewer?: ReturnType<typeof setTimeout>;
  #renewing?: Promise<void>;
  #lastRenewal = 0;
  #released = false;

  constructor(kube: Kube, options: RunLockOptions) {
    this.#store = options.store ?? leaseStore(kube);
    this.#options = options;
    this.#identity = holderIdentity(options.holder);
    this.#duration = options.leaseDurationSeconds ?? 15;
  }

  /** Whether the lock is held now. */
  get held(): boolean {
    return this.#record !== undefined && !this.#released;
  }

  /**
   * Takes the lock, or throws {@link LockHeldError} (another run renews it)
   * or an `InputError` (it cannot be read or written).
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const live = await this.#store.get(signal);
      let taken: LeaseRecord | undefined;
      if (!live) {
        taken = await this.#store.create(this.#lease(undefined), signal);
      } else if (!live.spec.holderIdentity) {
        taken = await this.#store.update(this.#lease(live), signal);
      } else {
        const stale = await this.#observe(live, signal);
        if (!stale) continue;
        taken = await this.#store.update(this.#lease(live), signal);
        if (taken) {
          this.#notice(
            "warn",
            `Took over the lock of ${describeHolder(live)}: it was not renewed for ${
              leaseSeconds(live, this.#duration)
            }s`,
          );
        }
      }
      if (taken) {
        this.#record = taken;
        this.#lastRenewal = this.#now();
        this.#scheduleRenewal();
        return;
      }
    }
    throw new InputError(
      `Cannot take the lock "${LOCK_NAMESPACE}/${LOCK_NAME}": it changed hands ${ATTEMPTS} times while meshup tried`,
      `another run is starting; check: kubectl get lease ${LOCK_NAME} -n ${LOCK_NAMESPACE} -o yaml`,
    );
  }

  /** Stops renewing and hands the Lease back (best effort: an expired lock needs no release). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#renewer);
    await this.#renewing;
    const signal = AbortSignal.timeout(10_000);
    let record = this.#record;
    for (let attempt = 0; record && attempt < 2; attempt++) {
      const spec = { ...record.spec, holderIdentity: "", leaseDurationSeconds: 1 };
      const annotations = { ...record.metadata.annotations };
      delete annotations[HOLDER_KEY];
      const done = await this.#store.update(
        { ...record, metadata: { ...record.metadata, annotations }, spec },
        signal,
      ).catch(() => undefined);
      if (done) return;
      // a renewal of ours raced the release: release the Lease as it is now, if still ours
      const live = await this.#store.get(signal).catch(() => undefined);
      record = live?.spec.holderIdentity === this.#identity ? live : undefined;
    }
  }

  /**
   * Watches a Lease held by another run for its whole duration: true when
   * it did not change (its holder is gone), false when it was released
   * meanwhile; throws {@link LockHeldError} when its holder renewed it.
   */
  async #observe(live: LeaseRecord, signal?: AbortSignal): Promise<boolean> {
    const seconds = leaseSeconds(live, this.#duration);
    this.#notice(
      "info",
      `The lock is held by ${describeHolder(live)}; watching ${seconds}s for its renewals`,
    );
    const latest = await this.#store.changed(live, { timeoutMs: seconds * 1000, signal });
    if (!latest) return true;
    if (!latest.spec.holderIdentity) return false;
    throw new LockHeldError(latest, this.#now());
  }

  #lease(previous: LeaseRecord | undefined): LeaseRecord {
    const now = microTime(this.#now());
    const taking = previous?.spec.holderIdentity !== this.#identity;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: LOCK_NAME,
        namespace: LOCK_NAMESPACE,
        ...(previous?.metadata.resourceVersion
          ? { resourceVersion: previous.metadata.resourceVersion }
          : {}),
        annotations: {
          ...previous?.metadata.annotations,
          [HOLDER_KEY]: JSON.stringify(this.#options.holder),
        },
      },
      spec: {
        holderIdentity: this.#identity,
        leaseDurationSeconds: this.#duration,
        acquireTime: taking ? now : previous?.spec.acquireTime ?? now,
        renewTime: now,
        leaseTransitions: (previous?.spec.leaseTransitions ?? 0) + (previous && taking ? 1 : 0),
      },
    };
  }

  #scheduleRenewal(): void {
    if (this.#released) return;
    const every = this.#options.renewEveryMs ?? Math.max(500, (this.#duration * 1000) / 3);
    const timer = setTimeout(() => {
      this.#renewing = this.#renew();
    }, every);
    Deno.unrefTimer(timer);
    this.#renewer = timer;
  }

  async #renew(): Promise<void> {
    if (this.#released || !this.#record) return;
    try {
      const renewed = await this.#store.update(
        this.#lease(this.#record),
        AbortSignal.timeout(this.#duration * 1000),
      );
      if (this.#released) return;
      if (!renewed) {
        const live = await this.#store.get(AbortSignal.timeout(this.#duration * 1000));
        if (live?.spec.holderIdentity === this.#identity) {
          this.#record = live; // our own earlier write went through after all
        } else {
          this.#lose(`the lock was taken over by ${live ? describeHolder(live) : "nobody"}`);
          return;
        }
      } else {
        this.#record = renewed;
      }
      this.#lastRenewal = this.#now();
    } catch (e) {
      if (this.#now() - this.#lastRenewal >= this.#duration * 1000) {
        this.#lose(
          `the lock could not be renewed for ${this.#duration}s: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
        return;
      }
    }
    this.#scheduleRenewal();
  }

  #lose(message: string): void {
    this.#released = true;
    this.#options.onLost?.(message);
  }

  #notice(level: "info" | "warn", message: string): void {
    this.#options.onNotice?.(level, message);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

/** Another run holds the lock and renews it. */
export class LockHeldError extends InputError {
  readonly holder: string;
  constructor(lease: LeaseRecord, now: number) {
    const since = Date.parse(lease.spec.acquireTime ?? "");
    const age = Number.isFinite(since) ? ` for ${formatAge(now - since)}` : "";
    super(
      `Cannot start: another meshup run holds the lock "${LOCK_NAMESPACE}/${LOCK_NAME}": ${
        describeHolder(lease)
      }${age}`,
      `wait for it to finish; if it is gone, its lock expires ${
        leaseSeconds(lease, 15)
      }s after its last renewal (kubectl get lease ${LOCK_NAME} -n ${LOCK_NAMESPACE} -o yaml)`,
    );
    this.name = "LockHeldError";
    this.holder = lease.spec.holderIdentity ?? "";
  }
}

/** `"up" by ann@box pid 42`, from the holder annotation when there is one. */
export function describeHolder(lease: LeaseRecord): string {
  const raw = lease.metadata.annotations?.[HOLDER_KEY];
  try {
    const h = JSON.parse(raw ?? "") as Partial<LockHolder>;
    if (h.user && h.host) {
      return `"${h.command ?? "?"}" by ${h.user}@${h.host} pid ${h.pid ?? "?"}`;
    }
  } catch { /* a holder that is not meshup's: its identity alone */ }
  return `"${lease.spec.holderIdentity ?? "unknown"}"`;
}

function leaseSeconds(lease: LeaseRecord, fallback: number): number {
  const s = lease.spec.leaseDurationSeconds;
  return typeof s === "number" && s > 0 ? s : fallback;
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.round(m / 60)}h`;
}

/** A Lease's MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
