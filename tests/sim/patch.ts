/**
 * Patches: JSON merge patch (RFC 7386), strategic merge patch (merge patch
 * plus merging lists of named items), JSON patch (RFC 6902), and
 * server-side apply with field managers recorded in `managedFields`.
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
} from "./object.ts";

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

/** Applies an RFC 6902 JSON patch. Throws a 422 `StatusError` when an operation fails. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw invalidPatch("the patch is not a JSON array");
  let root = clone(doc);
  for (const op of ops) {
    if (!isRec(op) || typeof op.op !== "string" || typeof op.path !== "string") {
      throw invalidPatch(`bad operation ${JSON.stringify(op)}`);
    }
    const path = parsePointer(op.path);
    switch (op.op) {
      case "add":
        root = addAt(root, path, clone(op.value));
        break;
      case "remove":
        root = removeAt(root, path);
        break;
      case "replace":
        getAt(root, path);
        root = removeAt(root, path);
        root = addAt(root, path, clone(op.value));
        break;
      case "move": {
        const from = parsePointer(String(op.from));
        const value = getAt(root, from);
        root = addAt(removeAt(root, from), path, value);
        break;
      }
      case "copy":
        root = addAt(root, path, clone(getAt(root, parsePointer(String(op.from)))));
        break;
      case "test":
        if (!deepEqual(getAt(root, path), op.value)) {
          throw invalidPatch(`test operation failed at "${op.path}"`);
        }
        break;
      default:
        throw invalidPatch(`unknown operation "${op.op}"`);
    }
  }
  return root;
}

function invalidPatch(message: string): StatusError {
  return new StatusError(422, "Invalid", `the server rejected our request: ${message}`);
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw invalidPatch(`bad JSON pointer "${pointer}"`);
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function getAt(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isRec(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined) throw invalidPatch(`path "/${path.join("/")}" does not exist`);
  }
  return cur;
}

function addAt(root: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!(index >= 0 && index <= parent.length)) throw invalidPatch(`bad index "${last}"`);
    parent.splice(index, 0, value);
  } else if (isRec(parent)) parent[last] = value;
  else throw invalidPatch(`cannot add at "/${path.join("/")}"`);
  return root;
}

function removeAt(root: unknown, path: string[]): unknown {
  if (path.length === 0) return undefined;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!(index >= 0 && index < parent.length)) throw invalidPatch(`bad index "${last}"`);
    parent.splice(index, 1);
  } else if (isRec(parent) && last in parent) delete parent[last];
  else throw invalidPatch(`path "/${path.join("/")}" does not exist`);
  return root;
}

// ---------------------------------------------------------------------------
// Field ownership

/** A field path: keys from the object root. Lists and scalars are leaves. */
export type FieldPath = string[];

const IGNORED_METADATA = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
]);

/** Which part of an object a write is about. */
export interface FieldScope {
  /** Only `status` (a status subresource write). */
  statusOnly?: boolean;
  /** Ignore `status` (a main-resource write of a kind with a status subresource). */
  ignoreStatus?: boolean;
}

/** Leaf paths of an object, leaving out identity metadata and (by scope) status. */
export function leafPaths(value: Rec, scope: FieldScope = {}): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === "apiVersion" || key === "kind" || child === undefined) continue;
    if (scope.statusOnly && key !== "status") continue;
    if (scope.ignoreStatus && key === "status") continue;
    if (key === "metadata" && isRec(child)) {
      for (const [mk, mv] of Object.entries(child)) {
        if (IGNORED_METADATA.has(mk) || mv === undefined) continue;
        walk(mv, ["metadata", mk], out);
      }
      continue;
    }
    walk(child, [key], out);
  }
  return out;
}

function walk(value: unknown, path: FieldPath, out: FieldPath[]): void {
  if (isRec(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) walk(v, [...path, k], out);
    }
  } else out.push(path);
}

function keyOf(path: FieldPath): string {
  return JSON.stringify(path);
}

/** Reads the value at a path, or undefined. */
export function valueAt(root: unknown, path: FieldPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (!isRec(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function deletePath(root: Rec, path: FieldPath, keep: Set<string>): void {
  const parents: Rec[] = [root];
  let cur: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (!isRec(cur)) return;
    cur = cur[seg];
    if (!isRec(cur)) return;
    parents.push(cur);
  }
  delete parents[parents.length - 1][path[path.length - 1]];
  for (let depth = path.length - 1; depth > 0; depth--) {
    const parent = parents[depth];
    if (Object.keys(parent).length > 0 || keep.has(keyOf(path.slice(0, depth)))) break;
    delete parents[depth - 1][path[depth - 1]];
  }
}

/** Encodes paths as a `fieldsV1` tree. */
export function toFieldsV1(paths: FieldPath[]): Rec {
  const root: Rec = {};
  for (const path of paths) {
    let node = root;
    for (const seg of path) {
      const key = `f:${seg}`;
      if (!isRec(node[key])) node[key] = {};
      node = node[key] as Rec;
    }
  }
  return root;
}

/** Decodes a `fieldsV1` tree into leaf paths (nodes without `f:` children are leaves). */
export function fromFieldsV1(fields: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const visit = (node: unknown, path: FieldPath): void => {
    const children = isRec(node) ? Object.keys(node).filter((k) => k.startsWith("f:")) : [];
    if (children.length === 0) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const k of children) visit((node as Rec)[k], [...path, k.slice(2)]);
  };
  visit(fields, []);
  return out;
}

function related(a: FieldPath, b: FieldPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

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

function entryMatches(e: ManagedFieldsEntry, manager: string, op: string, sub?: string): boolean {
  return e.manager === manager && e.operation === op && (e.subresource ?? "") === (sub ?? "");
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
