/**
 * Server-side apply with field managers recorded in `managedFields`, its
 * conflicts, and the ownership an Update (PUT, merge or JSON patch) takes.
 *
 * Lists are atomic for server-side apply: a manager owns a whole list.
 *
 * @module
 */

import {
  clone,
  deepEqual,
  isRec,
  type ManagedFieldsEntry,
  type Rec,
  StatusError,
} from "../object.ts";
import {
  deletePath,
  entryMatches,
  type FieldPath,
  type FieldScope,
  fromFieldsV1,
  keyOf,
  leafPaths,
  related,
  toFieldsV1,
  valueAt,
} from "./fields.ts";

/** A server-side apply conflict. */
export interface ApplyConflict {
  manager: string;
  apiVersion: string;
  field: string;
}

/** Formats a field path like the API server (`.spec.replicas`). */
export function formatPath(path: FieldPath): string {
  return path.map((s) => (/^[A-Za-z0-9_-]+$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join("");
}

/** The 409 a conflicting apply gets. */
export function conflictError(conflicts: ApplyConflict[]): StatusError {
  const n = conflicts.length;
  let message: string;
  if (n === 1) {
    const c = conflicts[0];
    message =
      `Apply failed with 1 conflict: conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`;
  } else {
    const byManager = new Map<string, ApplyConflict[]>();
    for (const c of conflicts) {
      const key = `${c.manager}\u0000${c.apiVersion}`;
      byManager.set(key, [...(byManager.get(key) ?? []), c]);
    }
    const parts = [...byManager.values()].map((cs) =>
      `conflicts with "${cs[0].manager}" using ${cs[0].apiVersion}:\n${
        cs.map((c) => `- ${c.field}`).join("\n")
      }`
    );
    message = `Apply failed with ${n} conflicts: ${parts.join("\n")}`;
  }
  return new StatusError(409, "Conflict", message, {
    causes: conflicts.map((c) => ({
      reason: "FieldManagerConflict",
      message: `conflict with "${c.manager}" using ${c.apiVersion}`,
      field: c.field,
    })),
  });
}

/** Options of one server-side apply. */
export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  time: string;
  scope: FieldScope;
  subresource?: string;
}

/**
 * Server-side apply of `config` onto `live` (undefined when creating).
 * Returns the merged object with `metadata.managedFields` updated; throws a
 * 409 `StatusError` on conflicts unless `force` is set.
 */
export function serverSideApply(live: Rec | undefined, config: Rec, options: ApplyOptions): Rec {
  const base: Rec = live ? clone(live) : {};
  const meta = isRec(base.metadata) ? base.metadata : (base.metadata = {});
  const entries = ((meta.managedFields ?? []) as ManagedFieldsEntry[]).slice();
  const mine = entries.find((e) => entryMatches(e, options.manager, "Apply", options.subresource));
  const prevPaths = mine ? fromFieldsV1(mine.fieldsV1) : [];
  const configPaths = leafPaths(config, options.scope);
  const configKeys = new Set(configPaths.map(keyOf));
  const others = entries.filter((e) => e !== mine).map((e) => ({
    entry: e,
    paths: fromFieldsV1(e.fieldsV1),
  }));

  const conflicts: ApplyConflict[] = [];
  const conflicting = new Set<string>();
  for (const path of configPaths) {
    const liveValue = valueAt(base, path);
    if (liveValue === undefined || deepEqual(liveValue, valueAt(config, path))) continue;
    for (const other of others) {
      if (other.paths.some((p) => related(p, path))) {
        conflicts.push({
          manager: other.entry.manager,
          apiVersion: other.entry.apiVersion,
          field: formatPath(path),
        });
        conflicting.add(keyOf(path));
      }
    }
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);

  // Drop fields this manager applied before but no longer does, unless someone else owns them.
  const ownedByOthers = others.flatMap((o) => o.paths);
  const keep = new Set<string>();
  for (const p of configPaths) for (let i = 1; i <= p.length; i++) keep.add(keyOf(p.slice(0, i)));
  for (const path of prevPaths) {
    if (keep.has(keyOf(path)) || configPaths.some((p) => related(p, path))) continue;
    if (ownedByOthers.some((p) => related(p, path))) continue;
    deletePath(base, path, keep);
  }

  const merged = applyMerge(base, stripScope(config, options.scope)) as Rec;
  const mergedMeta = isRec(merged.metadata) ? merged.metadata : (merged.metadata = {});

  const next: ManagedFieldsEntry[] = [];
  for (const other of others) {
    const paths = options.force
      ? other.paths.filter((p) =>
        !configPaths.some((c) => related(c, p) && conflicting.has(keyOf(c)))
      )
      : other.paths;
    if (paths.length > 0) next.push({ ...other.entry, fieldsV1: toFieldsV1(paths) });
  }
  if (configKeys.size > 0) {
    const entry: ManagedFieldsEntry = {
      manager: options.manager,
      operation: "Apply",
      apiVersion: options.apiVersion,
      time: options.time,
      fieldsType: "FieldsV1",
      fieldsV1: toFieldsV1(configPaths),
    };
    if (options.subresource) entry.subresource = options.subresource;
    const at = mine ? entries.indexOf(mine) : -1;
    next.splice(at >= 0 ? Math.min(at, next.length) : next.length, 0, entry);
  }
  mergedMeta.managedFields = next;
  return merged;
}

function stripScope(config: Rec, scope: FieldScope): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(config)) {
    if (
      scope.statusOnly && k !== "status" && k !== "metadata" && k !== "apiVersion" && k !== "kind"
    ) {
      continue;
    }
    if (scope.ignoreStatus && k === "status") continue;
    out[k] = v;
  }
  if (isRec(out.metadata)) {
    const meta = { ...out.metadata };
    delete meta.managedFields;
    delete meta.resourceVersion;
    delete meta.uid;
    delete meta.creationTimestamp;
    delete meta.generation;
    out.metadata = meta;
  }
  return out;
}

function applyMerge(target: unknown, config: unknown): unknown {
  if (!isRec(config)) return clone(config);
  const out: Rec = isRec(target) ? target : {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    out[k] = isRec(v) ? applyMerge(out[k], v) : clone(v);
  }
  return out;
}

/**
 * Records an Update operation by `manager` (PUT, merge or JSON patch): the
 * manager takes ownership of every leaf it changed, other managers lose them,
 * and removed leaves are dropped from every manager. Mutates `next.metadata`.
 */
export function recordUpdate(
  old: Rec | undefined,
  next: Rec,
  options: {
    manager: string;
    apiVersion: string;
    time: string;
    scope: FieldScope;
    subresource?: string;
  },
): void {
  const meta = isRec(next.metadata) ? next.metadata : (next.metadata = {});
  const entries = ((isRec(old?.metadata) ? (old.metadata as Rec).managedFields : undefined) ??
    []) as ManagedFieldsEntry[];
  const newPaths = leafPaths(next, options.scope);
  const changed = newPaths.filter((p) => !deepEqual(valueAt(old, p), valueAt(next, p)));
  const newKeys = new Set(newPaths.map(keyOf));
  const removed = old ? leafPaths(old, options.scope).filter((p) => !newKeys.has(keyOf(p))) : [];
  if (changed.length === 0 && removed.length === 0) {
    meta.managedFields = entries;
    return;
  }
  const out: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of entries) {
    const paths = fromFieldsV1(e.fieldsV1).filter((p) =>
      !changed.some((c) => related(c, p)) && !removed.some((r) => related(r, p))
    );
    if (entryMatches(e, options.manager, "Update", options.subresource)) {
      mine = e;
      const all = [...paths, ...changed];
      out.push({ ...e, time: options.time, fieldsV1: toFieldsV1(all) });
    } else if (paths.length > 0) out.push({ ...e, fieldsV1: toFieldsV1(paths) });
  }
  if (!mine && changed.length > 0) {
    const entry: ManagedFieldsEntry = {
      manager: options.manager,
      operation: "Update",
      apiVersion: options.apiVersion,
      time: options.time,
      fieldsType: "FieldsV1",
      fieldsV1: toFieldsV1(changed),
    };
    if (options.subresource) entry.subresource = options.subresource;
    out.push(entry);
  }
  meta.managedFields = out.filter((e) => Object.keys(e.fieldsV1).length > 0);
}
