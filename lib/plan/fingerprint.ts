/**
 * A step's fingerprint: a hash of everything that decides its result
 * (rendered content, chart, version, sources). Recorded in the cluster after
 * success; an unchanged step is skipped on the next run.
 */
import { createHash } from "node:crypto";
import type { Step } from "./plan.ts";

/** Bump when the meaning of a step changes, so every step re-applies once. */
export const FINGERPRINT_SCHEME = "meshup/1";

export const FINGERPRINT_KEY = "meshup.dev/fingerprint";
export const FIELD_MANAGER = "meshup";

/** 20 hex characters: short enough for a label value. */
export function fingerprint(step: Step, extra: string[] = []): string {
  const { description: _d, ...rest } = step;
  return createHash("sha256")
    .update(FINGERPRINT_SCHEME)
    .update("\0")
    .update(canonical(rest))
    .update("\0")
    .update(extra.join("\0"))
    .digest("hex")
    .slice(0, 20);
}

/** JSON with sorted keys: equal data gives equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
