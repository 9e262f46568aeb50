/**
 * Patches: JSON merge patch (RFC 7386), strategic merge patch (merge patch
 * plus merging lists of named items), JSON patch (RFC 6902), and
 * server-side apply with field managers recorded in `managedFields`.
 *
 * Lists are atomic for server-side apply: a manager owns a whole list.
 *
 * @module
 */

export { jsonPatch } from "./json_patch.ts";
export { mergePatch, strategicMergePatch } from "./merge.ts";
export {
  type FieldPath,
  type FieldScope,
  fromFieldsV1,
  leafPaths,
  toFieldsV1,
  valueAt,
} from "./fields.ts";
export {
  type ApplyConflict,
  type ApplyOptions,
  conflictError,
  formatPath,
  recordUpdate,
  serverSideApply,
} from "./apply.ts";
