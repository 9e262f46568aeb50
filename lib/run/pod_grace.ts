/**
 * When a pod's trouble fails its step early rather than at the timeout: a
 * container in CrashLoopBackOff, ImagePullBackOff or ErrImagePull does not
 * get better by itself. Pure: the caller feeds pods and the clock.
 *
 * The rule: the same problem seen continuously for `POD_PROBLEM_GRACE_MS`,
 * or, for a pod created since the wait began, a crash loop that already
 * restarted `CRASH_LOOP_RESTARTS` times. A pod that was there before is
 * only judged by the grace: a run that repairs it must get its chance.
 */
import { get, int, str } from "./_kstatus_fields.ts";

/** How long a pod may show the same crash or image-pull problem (30 s). */
export const POD_PROBLEM_GRACE_MS = 30_000;

/** Restarts after which a crash-looping container of a new pod fails at once. */
export const CRASH_LOOP_RESTARTS = 5;

/** Waiting reasons that fail a step after the grace; the image-pull pair counts as one. */
const STUCK: Record<string, string> = {
  CrashLoopBackOff: "CrashLoopBackOff",
  ImagePullBackOff: "ImagePullBackOff",
  ErrImagePull: "ImagePullBackOff",
};

export interface PodFailure {
  /** the pod's name */
  pod: string;
  namespace?: string;
  /** `pod web-1 CrashLoopBackOff for 30s (container app, restarts 7)` */
  message: string;
}

interface Seen {
  pod: string;
  namespace?: string;
  container: string;
  reason: string;
  since: number;
  restarts: number;
  isNew: boolean;
}

export interface PodGraceOptions {
  /** when the wait began (ms since the epoch) */
  startedAt: number;
  graceMs?: number;
  restarts?: number;
}

/** Tracks each pod container's stuck reason and since when it has been seen. */
export class PodGrace {
  readonly #startedAt: number;
  readonly #graceMs: number;
  readonly #restarts: number;
  /** by `uid|container` */
  readonly #seen = new Map<string, Seen>();

  constructor(options: PodGraceOptions) {
    this.#startedAt = options.startedAt;
    this.#graceMs = options.graceMs ?? POD_PROBLEM_GRACE_MS;
    this.#restarts = options.restarts ?? CRASH_LOOP_RESTARTS;
  }

  /** Records a pod as observed at `now`; a deleted pod is forgotten. */
  observe(pod: Record<string, unknown>, now: number, deleted = false): void {
    const uid = str(get(pod, "metadata", "uid")) || str(get(pod, "metadata", "name"));
    const previous = new Map<string, Seen>();
    for (const [key, seen] of [...this.#seen]) {
      if (!key.startsWith(`${uid}|`)) continue;
      previous.set(key, seen);
      this.#seen.delete(key);
    }
    if (deleted || str(get(pod, "metadata", "deletionTimestamp"))) return;
    const created = Date.parse(str(get(pod, "metadata", "creationTimestamp")));
    // creationTimestamp has whole seconds: a pod of the wait's first second is new
    const isNew = !Number.isNaN(created) && created >= Math.floor(this.#startedAt / 1000) * 1000;
    for (const field of ["initContainerStatuses", "containerStatuses"]) {
      const statuses = get(pod, "status", field);
      if (!Array.isArray(statuses)) continue;
      for (const cs of statuses) {
        const reason = STUCK[str(get(cs, "state", "waiting", "reason"))];
        if (!reason) continue;
        const container = str(get(cs, "name"));
        const key = `${uid}|${container}`;
        const before = previous.get(key);
        const since = before && before.reason === reason ? before.since : now;
        this.#seen.set(key, {
          pod: str(get(pod, "metadata", "name")),
          namespace: str(get(pod, "metadata", "namespace")) || undefined,
          container,
          reason,
          since,
          restarts: int(get(cs, "restartCount"), 0),
          isNew,
        });
      }
    }
  }

  /** The first problem that outlasted its grace at `now`, if any. */
  failure(now: number): PodFailure | undefined {
    for (const s of this.#seen.values()) {
      const looped = s.reason === "CrashLoopBackOff" && s.isNew && s.restarts >= this.#restarts;
      if (!looped && now - s.since < this.#graceMs) continue;
      const seconds = Math.round((now - s.since) / 1000);
      const why = looped ? `restarted ${s.restarts} times` : `for ${seconds}s`;
      return {
        pod: s.pod,
        ...(s.namespace ? { namespace: s.namespace } : {}),
        message:
          `pod ${s.pod} ${s.reason} ${why} (container ${s.container}, restarts ${s.restarts})`,
      };
    }
    return undefined;
  }

  /** When the next grace runs out, if a problem is being watched. */
  nextDeadline(): number | undefined {
    const times = [...this.#seen.values()].map((s) => s.since + this.#graceMs);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}
