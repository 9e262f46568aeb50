/**
 * The folder `render --out DIR` fills, for every format: DIR must be absent,
 * empty, or marked by an earlier render of ours. Only the files our marker
 * lists are ever replaced; anything else (a foreign non-empty folder, a
 * file, a collision with a file we did not write) is refused before a
 * single file is touched.
 */
import { InputError } from "../errors.ts";

/** The marker an earlier render leaves in its folder: the files it wrote. */
export const MARKER = ".meshup-render";

const MARKER_HEADER = "# meshup render output; files listed below are replaced on the next render";

/**
 * Checks DIR and removes only our own earlier output, so that `files`
 * (paths relative to DIR) can be written. Throws `InputError` (exit 2)
 * with nothing touched when DIR is not ours to fill.
 */
export async function prepareOutDir(
  dir: string,
  options: { files: readonly string[]; shown?: string },
): Promise<void> {
  const shown = options.shown ?? dir;
  const hint = "pass --out with a new or empty folder, or one an earlier render wrote";
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (!stat.isDirectory) {
    throw new InputError(`Refusing to render into "${shown}": it is a file, not a folder`, hint);
  }
  const entries = await listTree(dir);
  if (entries.length === 0) return;
  if (!entries.includes(MARKER)) {
    const what = entries.includes(".git")
      ? "it holds a Git checkout (.git)"
      : `it is not empty and was not written by meshup (no ${MARKER} marker)`;
    throw new InputError(`Refusing to render into "${shown}": ${what}`, hint);
  }
  const ours = new Set(parseMarker(await Deno.readTextFile(`${dir}/${MARKER}`)));
  const foreign = options.files.filter((f) => !ours.has(f) && entries.includes(f));
  if (foreign.length) {
    throw new InputError(
      `Refusing to render into "${shown}": "${
        foreign[0]
      }" exists and an earlier render did not write it`,
      `move "${foreign[0]}" away, or ${hint}`,
    );
  }
  for (const file of [...ours].sort()) {
    if (!entries.includes(file)) continue;
    await Deno.remove(`${dir}/${file}`);
  }
  await removeEmptyFolders(dir, [...ours]);
}

/**
 * Writes `files` into DIR (after `prepareOutDir`). The marker listing them
 * goes first, so that a render cut short still leaves a folder we own.
 */
export async function writeOutDir(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const listed = [...files.keys()].sort();
  await Deno.writeTextFile(`${dir}/${MARKER}`, [MARKER_HEADER, ...listed].join("\n") + "\n");
  for (const [path, content] of files) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
}

function parseMarker(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !l.startsWith("#") && !l.split("/").includes("..") && !l.startsWith("/")
  );
}

/** Every file and folder below DIR, relative, folders included. */
async function listTree(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory && !e.isSymlink) out.push(...await listTree(dir, r));
  }
  return out;
}

/** Removes the folders our files lived in once they are empty, deepest first. */
async function removeEmptyFolders(dir: string, files: string[]): Promise<void> {
  const folders = new Set<string>();
  for (const f of files) {
    const parts = f.split("/").slice(0, -1);
    for (let i = parts.length; i > 0; i--) folders.add(parts.slice(0, i).join("/"));
  }
  const deepestFirst = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const folder of deepestFirst) {
    try {
      await Deno.remove(`${dir}/${folder}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !isNotEmpty(e)) throw e;
    }
  }
}

function isNotEmpty(e: unknown): boolean {
  return e instanceof Error && /not empty|ENOTEMPTY|Directory not empty/i.test(e.message);
}
