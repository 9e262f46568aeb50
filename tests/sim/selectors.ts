/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`; commas
 * mean AND) and field selectors (`path=value`, `path==value`,
 * `path!=value` over any dotted path, e.g. `metadata.name`).
 *
 * @module
 */

import { isRec, type KubeObject, type Rec, StatusError } from "./object.ts";

/** A compiled selector: true when the object matches. */
export type Selector = (obj: KubeObject) => boolean;

/** Matches everything. */
export const EVERYTHING: Selector = (): boolean => true;

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function badSelector(kind: string, text: string): StatusError {
  return new StatusError(
    400,
    "BadRequest",
    `unable to parse requirement: invalid ${kind} selector: "${text}"`,
  );
}

/** Compiles a label selector string. Throws a 400 `StatusError` on bad syntax. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text || !text.trim()) return EVERYTHING;
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const term of splitTerms(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term))) {
      const key = m[1];
      const values = m[3].split(",").map((v) => v.trim()).filter((v) => v !== "");
      tests.push(
        m[2] === "in"
          ? (l) => key in l && values.includes(l[key])
          : (l) => !(key in l) || !values.includes(l[key]),
      );
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term))) {
      const [, key, op, value] = m;
      tests.push(op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(term))) {
      const key = m[1];
      tests.push((l) => !(key in l));
    } else if ((m = /^([^\s!=(),]+)$/.exec(term))) {
      const key = m[1];
      tests.push((l) => key in l);
    } else throw badSelector("label", text);
  }
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    return tests.every((t) => t(labels));
  };
}

/** Compiles a label selector object (`matchLabels` / `matchExpressions`). */
export function labelSelectorFromObject(selector: unknown): Selector {
  if (!isRec(selector)) return EVERYTHING;
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Rec)) {
    tests.push((l) => l[k] === v);
  }
  for (const expr of (selector.matchExpressions ?? []) as Rec[]) {
    const key = String(expr.key);
    const values = ((expr.values ?? []) as unknown[]).map(String);
    switch (expr.operator) {
      case "In":
        tests.push((l) => key in l && values.includes(l[key]));
        break;
      case "NotIn":
        tests.push((l) => !(key in l) || !values.includes(l[key]));
        break;
      case "Exists":
        tests.push((l) => key in l);
        break;
      case "DoesNotExist":
        tests.push((l) => !(key in l));
        break;
    }
  }
  return (obj) => tests.every((t) => t(obj.metadata?.labels ?? {}));
}

/** The value of a dotted field path as a string ("" when absent). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split(".")) {
    if (!isRec(cur)) return "";
    cur = cur[seg];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}

/** Compiles a field selector string. Throws a 400 `StatusError` on bad syntax. */
export function parseFieldSelector(text: string | null | undefined): Selector {
  if (!text || !text.trim()) return EVERYTHING;
  const tests: Selector[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badSelector("field", text);
    const [, path, op, value] = m;
    tests.push(
      op === "!=" ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value,
    );
  }
  return (obj) => tests.every((t) => t(obj));
}

/** Both selectors of a request. */
export function parseSelectors(params: URLSearchParams): Selector {
  const label = parseLabelSelector(params.get("labelSelector"));
  const field = parseFieldSelector(params.get("fieldSelector"));
  return (obj) => label(obj) && field(obj);
}
