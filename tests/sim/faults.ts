/**
 * Fault injection: per request (status, Retry-After, latency, N times), per
 * watch (close after N events or some time, no end bookmark, 410 on resume),
 * per object (never ready, CrashLoopBackOff, ...), access review answers, and
 * objects to seed at start.
 *
 * Faults come from `startSim({ faults })`, a JSON file (`--faults FILE`) or
 * `POST /__sim/faults`; all are checked against {@link FaultsSchema}.
 *
 * @module
 */

import { z } from "zod";
import type { KubeObject } from "./object.ts";

/** A fault for requests whose method and path match. */
export const RequestFaultSchema = z.object({
  /** HTTP method, case-insensitive; absent or "*" = any. */
  method: z.string().optional(),
  /** Regular expression tested against the URL path (without the query). */
  path: z.string(),
  /** Regular expression tested against the query string (without "?"). */
  query: z.string().optional(),
  /** Regular expression tested against the User-Agent. */
  userAgent: z.string().optional(),
  /** Status code to answer with; absent = only add latency, then serve normally. */
  status: z.number().int().min(100).max(599).optional(),
  /** The Status `reason`; defaults from the code (e.g. 429 TooManyRequests). */
  reason: z.string().optional(),
  /** The Status `message`. */
  message: z.string().optional(),
  /** Seconds, sent as the `Retry-After` header (and `details.retryAfterSeconds`). */
  retryAfter: z.number().int().nonnegative().optional(),
  /** Delay before answering (or before serving normally), in milliseconds. */
  latencyMs: z.number().nonnegative().optional(),
  /** How many matching requests get the fault; absent = all. */
  times: z.number().int().positive().optional(),
  /** Let this many matching requests through first. */
  skip: z.number().int().nonnegative().optional(),
});

/** A fault for watch requests whose path matches. */
export const WatchFaultSchema = z.object({
  /** Regular expression tested against the URL path; absent = every watch. */
  path: z.string().optional(),
  /** Close the stream after this many events past the initial list (bookmarks not counted). */
  closeAfterEvents: z.number().int().positive().optional(),
  /** Close the stream after this many milliseconds. */
  closeAfterMs: z.number().positive().optional(),
  /** Send no `k8s.io/initial-events-end` bookmark after the initial events. */
  noInitialEventsEnd: z.boolean().optional(),
  /** Answer a watch that carries a resourceVersion (a resumption) with a 410 Expired ERROR event. */
  expireOnResume: z.boolean().optional(),
  /** How many matching watches get the fault; absent = all. */
  times: z.number().int().positive().optional(),
});

/** Per-object misbehaviour. */
export const OBJECT_FAULTS = [
  "never-ready",
  "crash-loop",
  "image-pull-backoff",
  "unschedulable",
  "progress-deadline",
  "stale-generation",
  "job-failed",
  "never-established",
  "never-bound",
  "apply-conflict",
] as const;

/** The name of a per-object fault. */
export type ObjectFaultName = typeof OBJECT_FAULTS[number];

/** A fault for objects of a kind, optionally by namespace and name. */
export const ObjectFaultSchema = z.object({
  /** Kind, e.g. "Deployment" (the workload, not its pods). */
  kind: z.string(),
  /** Namespace; absent = any. */
  namespace: z.string().optional(),
  /** Name; exact, or a regular expression between slashes ("/^istio-/"); absent = any. */
  name: z.string().optional(),
  /**
   * - `never-ready`: status shows the spec was observed, pods never become ready.
   * - `crash-loop`: pods Running, not Ready, CrashLoopBackOff with restarts and a BackOff event.
   * - `image-pull-backoff`: pods Pending in ImagePullBackOff with a Failed event.
   * - `unschedulable`: pods Pending, PodScheduled=False Unschedulable, FailedScheduling event.
   * - `progress-deadline`: Deployment Progressing=False, reason ProgressDeadlineExceeded.
   * - `stale-generation`: status.observedGeneration stops following spec changes.
   * - `job-failed`: Job gets Failed=True (BackoffLimitExceeded).
   * - `never-established`: CRD never becomes Established (nor served).
   * - `never-bound`: PersistentVolumeClaim stays Pending.
   * - `apply-conflict`: server-side apply without force gets 409 Conflict.
   */
  fault: z.enum(OBJECT_FAULTS),
  /** Restart count shown for `crash-loop` pods (default 5). */
  restartCount: z.number().int().nonnegative().optional(),
  /** Message for conditions and events. */
  message: z.string().optional(),
  /** Field manager named in an `apply-conflict` (default "sim-conflict"). */
  manager: z.string().optional(),
  /** Field path named in an `apply-conflict` (default ".spec"). */
  field: z.string().optional(),
});

/** The answer to SelfSubjectAccessReviews that match. */
export const AccessReviewFaultSchema = z.object({
  verb: z.string().optional(),
  group: z.string().optional(),
  resource: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  allowed: z.boolean(),
  reason: z.string().optional(),
});

/** Every kind of fault, and objects to seed. */
export const FaultsSchema = z.object({
  requests: z.array(RequestFaultSchema).optional(),
  watches: z.array(WatchFaultSchema).optional(),
  objects: z.array(ObjectFaultSchema).optional(),
  accessReviews: z.array(AccessReviewFaultSchema).optional(),
  /** Objects created at start (or on POST), namespaces created as needed, status kept. */
  seed: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** Faults, as given by tests or a JSON file. */
export type Faults = z.input<typeof FaultsSchema>;
/** A request fault. */
export type RequestFault = z.infer<typeof RequestFaultSchema>;
/** A watch fault. */
export type WatchFault = z.infer<typeof WatchFaultSchema>;
/** An object fault. */
export type ObjectFault = z.infer<typeof ObjectFaultSchema>;
/** An access review answer. */
export type AccessReviewFault = z.infer<typeof AccessReviewFaultSchema>;

/** Validates faults, throwing a readable error. */
export function parseFaults(input: unknown, source = "faults"): z.infer<typeof FaultsSchema> {
  const result = FaultsSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`Cannot read ${source}: ${issues.join("; ")}`);
  }
  for (const f of result.data.requests ?? []) compile(f.path, source);
  for (const f of result.data.watches ?? []) if (f.path) compile(f.path, source);
  return result.data;
}

function compile(pattern: string, source: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new Error(`Cannot read ${source}: bad regular expression "${pattern}": ${error}`);
  }
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The default Status reason for a code. */
export function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? "InternalError" : "BadRequest");
}

interface Counted<T> {
  fault: T;
  seen: number;
  used: number;
}

/** The live fault set of one simulator. */
export class FaultSet {
  #requests: Counted<RequestFault>[] = [];
  #watches: Counted<WatchFault>[] = [];
  #objects: ObjectFault[] = [];
  #reviews: AccessReviewFault[] = [];

  constructor(faults?: Faults) {
    if (faults) this.set(faults);
  }

  /** Replaces all faults (seed objects are not kept here). */
  set(faults: Faults): void {
    const parsed = parseFaults(faults);
    this.#requests = (parsed.requests ?? []).map((fault) => ({ fault, seen: 0, used: 0 }));
    this.#watches = (parsed.watches ?? []).map((fault) => ({ fault, seen: 0, used: 0 }));
    this.#objects = parsed.objects ?? [];
    this.#reviews = parsed.accessReviews ?? [];
  }

  /** Adds faults to the current ones. */
  add(faults: Faults): void {
    const parsed = parseFaults(faults);
    this.#requests.push(...(parsed.requests ?? []).map((fault) => ({ fault, seen: 0, used: 0 })));
    this.#watches.push(...(parsed.watches ?? []).map((fault) => ({ fault, seen: 0, used: 0 })));
    this.#objects.push(...(parsed.objects ?? []));
    this.#reviews.push(...(parsed.accessReviews ?? []));
  }

  /** Removes every fault. */
  clear(): void {
    this.set({});
  }

  /** The current faults (with how often request and watch faults fired). */
  snapshot(): Faults & { fired: { requests: number[]; watches: number[] } } {
    return {
      requests: this.#requests.map((c) => c.fault),
      watches: this.#watches.map((c) => c.fault),
      objects: [...this.#objects],
      accessReviews: [...this.#reviews],
      fired: {
        requests: this.#requests.map((c) => c.used),
        watches: this.#watches.map((c) => c.used),
      },
    };
  }

  /** The request fault that fires for this request, if any (counts it). */
  takeRequest(
    method: string,
    path: string,
    query: string,
    userAgent: string,
  ): RequestFault | undefined {
    for (const c of this.#requests) {
      const f = c.fault;
      if (f.method && f.method !== "*" && f.method.toUpperCase() !== method) continue;
      if (!new RegExp(f.path).test(path)) continue;
      if (f.query !== undefined && !new RegExp(f.query).test(query)) continue;
      if (f.userAgent !== undefined && !new RegExp(f.userAgent).test(userAgent)) continue;
      c.seen++;
      if (c.seen <= (f.skip ?? 0)) continue;
      if (f.times !== undefined && c.used >= f.times) continue;
      c.used++;
      return f;
    }
    return undefined;
  }

  /**
   * The watch fault that applies to a watch on this path, if any (counts it).
   * `expireOnResume` faults only match watches that carry a resourceVersion.
   */
  takeWatch(path: string, resourceVersion?: string): WatchFault | undefined {
    const hasRv = resourceVersion !== undefined && resourceVersion !== "" &&
      resourceVersion !== "0";
    for (const c of this.#watches) {
      const f = c.fault;
      if (f.path && !new RegExp(f.path).test(path)) continue;
      if (f.expireOnResume && !hasRv) continue;
      if (f.times !== undefined && c.used >= f.times) continue;
      c.used++;
      return f;
    }
    return undefined;
  }

  /**
   * The fault for an object: the `sim.meshup.dev/fault` annotation first,
   * then the first matching object fault.
   */
  forObject(obj: KubeObject): ObjectFault | undefined {
    const annotations = obj.metadata.annotations ?? {};
    const named = annotations["sim.meshup.dev/fault"];
    if (named && (OBJECT_FAULTS as readonly string[]).includes(named)) {
      const restarts = Number(annotations["sim.meshup.dev/restart-count"]);
      return {
        kind: obj.kind,
        fault: named as ObjectFaultName,
        restartCount: Number.isFinite(restarts) ? restarts : undefined,
        message: annotations["sim.meshup.dev/fault-message"],
      };
    }
    return this.#objects.find((f) => matchesObject(f, obj));
  }

  /** The access review answer for an attribute set, if a fault matches. */
  accessReview(attrs: Record<string, string | undefined>): AccessReviewFault | undefined {
    return this.#reviews.find((f) =>
      (f.verb === undefined || f.verb === attrs.verb) &&
      (f.group === undefined || f.group === attrs.group) &&
      (f.resource === undefined || f.resource === attrs.resource) &&
      (f.namespace === undefined || f.namespace === attrs.namespace) &&
      (f.name === undefined || f.name === attrs.name)
    );
  }
}

function matchesObject(f: ObjectFault, obj: KubeObject): boolean {
  if (f.kind !== obj.kind) return false;
  if (f.namespace !== undefined && f.namespace !== (obj.metadata.namespace ?? "")) return false;
  if (f.name === undefined) return true;
  const name = obj.metadata.name ?? "";
  if (f.name.length > 2 && f.name.startsWith("/") && f.name.endsWith("/")) {
    return new RegExp(f.name.slice(1, -1)).test(name);
  }
  return f.name === name;
}
