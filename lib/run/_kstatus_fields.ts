/**
 * Reading fields of an untyped Kubernetes object, and the result types the
 * kstatus rules share. Private to lib/run: import from `kstatus.ts`.
 */
import type { ObjectStatus } from "../output/events.ts";

/** The result of a readiness computation. */
export interface StatusResult {
  status: ObjectStatus;
  message: string;
}

export interface ComputeOptions {
  /** the current time in ms since the epoch (default `Date.now`) */
  now?: () => number;
  /** helm's `--wait-for-jobs`: a Job is Current only once `Complete=True` */
  waitForJobs?: boolean;
}

/** A condition as found in `status.conditions`. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export type Json = Record<string, unknown>;
export type Rule = (obj: Json, options: ComputeOptions) => StatusResult;

/** All conditions of an object, normalised to strings. */
export function conditionsOf(obj: Record<string, unknown>): Condition[] {
  const raw = get(obj, "status", "conditions");
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((c) => ({
    type: str(c.type),
    status: str(c.status),
    reason: str(c.reason),
    message: str(c.message),
  }));
}

export function conditionOf(obj: Json, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

export function inProgress(message: string): StatusResult {
  return { status: "InProgress", message };
}

export function kindOf(obj: Json): string {
  return str(obj.kind);
}

export function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** An integer field, or the fallback when absent or not an integer (as `GetIntField`). */
export function int(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) ? value : fallback;
}
