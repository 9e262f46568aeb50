/**
 * Field ownership for server-side apply: leaf paths of an object, the
 * `fieldsV1` encoding of `managedFields`, and path helpers.
 *
 * @module
 */

import { isRec, type ManagedFieldsEntry, type Rec } from "../object.ts";

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

/** A path as a string, for sets and maps. */
export function keyOf(path: FieldPath): string {
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

/** Deletes the leaf at `path` and the parents it leaves empty (unless in `keep`). */
export function deletePath(root: Rec, path: FieldPath, keep: Set<string>): void {
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

/** Whether one path is a prefix of the other. */
export function related(a: FieldPath, b: FieldPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether a managedFields entry is `manager`'s `op` (on subresource `sub`). */
export function entryMatches(
  e: ManagedFieldsEntry,
  manager: string,
  op: string,
  sub?: string,
): boolean {
  return e.manager === manager && e.operation === op && (e.subresource ?? "") === (sub ?? "");
}
