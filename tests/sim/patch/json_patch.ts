/**
 * JSON patch (RFC 6902), with JSON pointers.
 *
 * @module
 */

import { clone, deepEqual, isRec, StatusError } from "../object.ts";

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
