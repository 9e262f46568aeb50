/**
 * Strict `${VAR}` templating for `values/` and `manifests/`.
 *
 * - an unknown or malformed variable is an error naming `file:line`;
 * - `$${VAR}` is the escape for a literal `${VAR}`;
 * - values are inserted into the parsed YAML tree, never into its text, so a
 *   value can never add keys or documents: a plain `key: ${VAR}` takes the
 *   value's type (a number stays a number, a map becomes a map), anything
 *   else is interpolated as a string and quoted on output when needed.
 */
import { Document, isScalar, LineCounter, parseAllDocuments, Scalar, visit } from "yaml";
import { InputError } from "../errors.ts";

export type TemplateValue =
  | string
  | number
  | boolean
  | TemplateValue[]
  | { [key: string]: TemplateValue };

export type TemplateVars = Readonly<Record<string, TemplateValue>>;

export interface Rendered {
  /** rendered YAML text, deterministic */
  text: string;
  /** one plain value per YAML document (empty documents dropped) */
  docs: unknown[];
}

const VAR_NAME = /^[A-Z][A-Z0-9_]*$/;
const TOKEN = /QQMESHUP([0-9]+)QQ/g;

/** Renders a template; `file` is used in error messages. */
export function renderTemplate(
  text: string,
  options: { file: string; vars: TemplateVars },
): Rendered {
  const { file, vars } = options;
  const used: string[] = [];
  const substituted = text.split("\n").map((line, i) => {
    let out = "";
    let rest = line;
    for (;;) {
      const at = rest.indexOf("${");
      if (at < 0) break;
      const escaped = at > 0 && rest[at - 1] === "$";
      const end = rest.indexOf("}", at);
      if (end < 0) {
        throw new InputError(
          `Cannot render "${file}:${i + 1}": unterminated "\${" (missing "}")`,
          "close the variable as ${NAME}, or write $${ for a literal ${",
        );
      }
      const name = rest.slice(at + 2, end);
      if (escaped) {
        out += rest.slice(0, at - 1) + "${" + name + "}";
      } else {
        if (!VAR_NAME.test(name)) {
          throw new InputError(
            `Cannot render "${file}:${i + 1}": malformed variable "\${${name}}"`,
            "variable names are upper case letters, digits and '_'; write $${ for a literal ${",
          );
        }
        if (!(name in vars)) {
          const guess = closestName(name, Object.keys(vars));
          throw new InputError(
            `Cannot render "${file}:${i + 1}": unknown variable "\${${name}}"`,
            guess
              ? `did you mean "\${${guess}}"?`
              : `known variables: ${Object.keys(vars).sort().join(", ")}`,
          );
        }
        used.push(name);
        out += rest.slice(0, at) + `QQMESHUP${used.length - 1}QQ`;
      }
      rest = rest.slice(end + 1);
    }
    return out + rest;
  }).join("\n");

  const lines = new LineCounter();
  const parsed = parseAllDocuments(substituted, { lineCounter: lines });
  if (!Array.isArray(parsed)) {
    return { text: "", docs: [] };
  }
  for (const doc of parsed) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line ?? 1;
      throw new InputError(
        `Cannot parse "${file}:${line}": malformed YAML: ${firstLine(err.message)}`,
        "fix the template's indentation or quoting",
      );
    }
  }
  const docs: Document[] = parsed;
  for (const doc of docs) {
    visit(doc, {
      Scalar(key, node) {
        if (typeof node.value !== "string" || !node.value.includes("QQMESHUP")) return undefined;
        const whole = /^QQMESHUP([0-9]+)QQ$/.exec(node.value);
        if (whole && key === "value" && node.type === "PLAIN") {
          const value = vars[used[Number(whole[1])]];
          if (typeof value === "object") return doc.createNode(value);
          node.value = value;
          return undefined;
        }
        node.value = node.value.replace(TOKEN, (_, n: string) => {
          const name = used[Number(n)];
          const value = vars[name];
          if (typeof value === "object") {
            const line = node.range ? lines.linePos(node.range[0]).line : 1;
            throw new InputError(
              `Cannot render "${file}:${line}": variable "\${${name}}" is a list or map and cannot be part of a string`,
              `put \${${name}} alone as the value of a key`,
            );
          }
          return String(value);
        });
        // a string must stay a string after the round trip
        if (node.type === "PLAIN") node.type = Scalar.PLAIN;
        return undefined;
      },
    });
  }
  const kept = docs.filter((d) =>
    d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)
  );
  for (const d of kept) if (d.directives) d.directives.docStart = null;
  assertNoTokens(kept, file);
  const docsJs = kept.map((d) => d.toJS());
  let written: string | undefined;
  return {
    // written out only when asked for: a manifest's objects are written from `docs`
    get text(): string {
      written ??= kept.map((d) => d.toString({ lineWidth: 0 }).replace(/\n?$/, "\n")).join("---\n")
        // tokens left are in comments: insert the value on one line
        .replace(TOKEN, (_, n: string) => {
          const value = vars[used[Number(n)]];
          return (typeof value === "object" ? JSON.stringify(value) : String(value)).replace(
            /[\r\n]+/g,
            " ",
          );
        });
      return written;
    },
    docs: docsJs,
  };
}

function assertNoTokens(docs: Document[], file: string): void {
  for (const doc of docs) {
    visit(doc, {
      Scalar(_, node) {
        if (isScalar(node) && typeof node.value === "string" && node.value.includes("QQMESHUP")) {
          throw new InputError(`Cannot render "${file}": a variable was left unresolved`);
        }
      },
    });
  }
}

/** Deep-merges plain objects (maps merge, anything else replaces). */
export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(overlay)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(overlay)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return overlay;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function firstLine(s: string): string {
  return s.split("\n")[0].replace(/:\s*$/, "");
}

function closestName(word: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const name of names) {
    const d = editDistance(word, name);
    if (d < bestScore) [best, bestScore] = [name, d];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
