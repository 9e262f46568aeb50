/**
 * JSON merge patch (RFC 7386) and strategic merge patch (merge patch plus
 * merging lists of named items).
 *
 * @module
 */

import { clone, deepEqual, isRec, type Rec } from "../object.ts";

/** Applies an RFC 7386 merge patch and returns the result (inputs are not changed). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRec(patch)) return clone(patch);
  const out: Rec = isRec(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const MERGE_KEYS = ["name", "containerPort", "mountPath", "devicePath", "ip", "type", "port"];

/**
 * Applies a strategic merge patch: a merge patch where lists of objects that
 * share a merge key (`name`, `port`, ...) are merged item by item, and
 * `$patch`/`$setElementOrder`/`$retainKeys` directives are understood enough
 * for kubectl's client-side apply.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRec(patch)) return clone(patch);
  if (patch.$patch === "replace") {
    const copy = clone(patch);
    delete copy.$patch;
    return copy;
  }
  if (patch.$patch === "delete") return undefined;
  const out: Rec = isRec(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const drop = Array.isArray(value) ? value : [];
      if (Array.isArray(out[field])) {
        out[field] = (out[field] as unknown[]).filter((v) => !drop.includes(v));
      }
      continue;
    }
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    if (Array.isArray(value) && Array.isArray(out[key])) {
      out[key] = mergeList(out[key] as unknown[], value);
      continue;
    }
    const merged = strategicMergePatch(out[key], value);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

function mergeKeyOf(items: unknown[]): string | undefined {
  if (items.length === 0 || !items.every(isRec)) return undefined;
  return MERGE_KEYS.find((k) => (items as Rec[]).every((i) => i[k] !== undefined));
}

function mergeList(target: unknown[], patch: unknown[]): unknown[] {
  const key = mergeKeyOf(patch);
  if (!key || !target.every(isRec)) return clone(patch).filter((v) => !isRec(v) || !v.$patch);
  const out = clone(target) as Rec[];
  for (const item of patch as Rec[]) {
    const index = out.findIndex((t) => deepEqual(t[key], item[key]));
    if (item.$patch === "delete") {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMergePatch(out[index], item) as Rec;
    else out.push(strategicMergePatch({}, item) as Rec);
  }
  return out;
}
