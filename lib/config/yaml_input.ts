/**
 * Reading YAML that a user typed, or that someone hostile wrote: a size cap,
 * no control characters, a cap on alias expansion, and errors that name the
 * real file:line instead of a stack trace.
 */
import { type Document, isMap, isScalar, parseDocument } from "yaml";
import { InputError } from "../errors.ts";

/** A config file larger than this is not a config. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** How many nodes aliases may expand to (the yaml library's resource-exhaustion guard). */
export const MAX_ALIAS_COUNT = 100;

export interface YamlInput {
  doc: Document;
  /** the document as plain data */
  value: unknown;
  /** 1-based line of a character offset, as an editor counts lines */
  lineAt(offset: number): number;
}

/** Reads a config file's text: missing is `undefined`; a folder, a huge or unreadable file is an `InputError`. */
export async function readConfigText(path: string, shown: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw cannotRead(shown, e);
  }
  if (info.isDirectory) {
    throw new InputError(
      `Cannot read config "${shown}": it is a folder`,
      `pass the file itself, e.g. --config ${shown.replace(/\/+$/, "")}/cluster.yaml`,
    );
  }
  if (info.size > MAX_CONFIG_BYTES) {
    throw new InputError(
      `Cannot read config "${shown}": ${info.size} bytes is more than a config can be (at most ${MAX_CONFIG_BYTES})`,
      "pass the cluster config; see cluster.example.yaml",
    );
  }
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw cannotRead(shown, e);
  }
}

/** Parses one YAML document. Throws `InputError` naming `fileName:line`. */
export function parseYamlInput(text: string, fileName: string): YamlInput {
  // deno-lint-ignore no-control-regex -- these are the characters refused
  const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f\ufffe\uffff]/.exec(text);
  if (bad) {
    const { line, col } = position(text, bad.index);
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new InputError(
      `Cannot parse config "${fileName}:${line}": control character U+${code} (column ${col}) is not allowed in YAML`,
      "remove it; write a tab or a newline as \\t or \\n inside a double-quoted string",
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const { line } = clampToText(text, position(text, err.pos[0]));
    const detail = err.code === "MULTIPLE_DOCS"
      ? "a config is one YAML document, and a second one starts here"
      : err.code === "RESOURCE_EXHAUSTION"
      ? "nested too deeply"
      : err.message.split("\n")[0].replace(/ at line \d+, column \d+:?\s*$/, "");
    throw new InputError(
      `Cannot parse config "${fileName}:${line}": ${detail}`,
      "fix the YAML syntax (indentation, quotes, a missing ':')",
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new InputError(
      `Cannot read config "${fileName}": ${
        /alias/i.test(detail) ? "its aliases expand too far" : detail
      }`,
      `write the values out; at most ${MAX_ALIAS_COUNT} nodes may come from aliases`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    const at = doc.contents.range ? position(text, doc.contents.range[0]).line : 1;
    throw new InputError(
      `Cannot read config "${fileName}:${at}": expected a mapping at the top level`,
      "see cluster.example.yaml for the layout",
    );
  }
  return { doc, value, lineAt: (offset) => position(text, offset).line };
}

/** The text a scalar at `path` was written as (e.g. `1.30` for the number 1.3). */
export function sourceOf(doc: Document | undefined, path: readonly string[]): string | undefined {
  const node = doc?.getIn(path, true);
  return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
}

/** 1-based line and column of `offset`; `\r\n`, `\r` and `\n` all end a line. */
function position(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    const ch = text[i];
    if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) [line, start] = [line + 1, i + 1];
  }
  return { line, col: offset - start + 1 };
}

/** An error past the last line (an unclosed bracket) is shown on the last line that has text. */
function clampToText(
  text: string,
  at: { line: number; col: number },
): { line: number; col: number } {
  const count = text.split(/\r\n|\r|\n/).length;
  const lastWithText = text.trimEnd().split(/\r\n|\r|\n/).length;
  return at.line >= count && at.line > lastWithText ? { line: lastWithText, col: 1 } : at;
}

function cannotRead(shown: string, e: unknown): InputError {
  const detail = e instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : e instanceof Error
    ? e.message
    : String(e);
  return new InputError(
    `Cannot read config "${shown}": ${detail}`,
    "check the path and its permissions, or pass another file with --config",
  );
}
