/**
 * Reading an object's status contract: its conditions with their
 * `observedGeneration`, and whether they speak for the object's current
 * `metadata.generation`. A condition (or a status) that a controller wrote
 * for an older generation is stale: it says nothing about the spec as it is
 * now, so it never makes a check pass.
 */
import type { Json } from "../../kube/kube.ts";

/** One entry of `status.conditions`, with its observed generation when it has one. */
export interface StatusCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The object's `metadata.generation`, when the server keeps one. */
export function generationOf(obj: Json): number | undefined {
  const g = (obj.metadata as Json | undefined)?.generation;
  return typeof g === "number" ? g : undefined;
}

/** Every condition of `status.conditions`, normalised to strings. */
export function statusConditions(obj: Json): StatusCondition[] {
  const raw = (obj.status as Json | undefined)?.conditions;
  if (!Array.isArray(raw)) return [];
  return raw.filter((c): c is Json => typeof c === "object" && c !== null).map((c) => ({
    type: String(c.type ?? ""),
    status: String(c.status ?? ""),
    reason: String(c.reason ?? ""),
    message: String(c.message ?? ""),
    ...(typeof c.observedGeneration === "number"
      ? { observedGeneration: c.observedGeneration }
      : {}),
  }));
}

/**
 * Why a condition (or the status as a whole) does not speak for the current
 * spec: its `observedGeneration` (else `status.observedGeneration`) is older
 * than `metadata.generation`. Undefined when it is current, or when neither
 * side records a generation.
 */
export function staleness(obj: Json, condition?: StatusCondition): string | undefined {
  const generation = generationOf(obj);
  const statusObserved = (obj.status as Json | undefined)?.observedGeneration;
  const observed = condition?.observedGeneration ??
    (typeof statusObserved === "number" ? statusObserved : undefined);
  if (generation === undefined || observed === undefined || observed >= generation) {
    return undefined;
  }
  const what = condition ? `its ${condition.type} condition` : "its status";
  return `${what} is stale (observedGeneration ${observed}, generation ${generation})`;
}

/** `Type=Status (Reason: message)`, for details. */
export function describeCondition(c: StatusCondition): string {
  const why = [c.reason, c.message].filter((s) => s !== "").join(": ");
  return `${c.type}=${c.status || "Unknown"}${why ? ` (${why})` : ""}`;
}
