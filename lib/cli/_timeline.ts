/**
 * The file behind `--timeline FILE`: checked before a run starts (so a bad
 * path is bad input, nothing applied) and written atomically after it.
 */
import { InputError } from "../errors.ts";

/**
 * Resolves FILE against `cwd` and refuses a path that cannot take the chart:
 * an existing directory, or a file in a folder that does not exist.
 */
export async function checkTimelinePath(file: string, cwd: string): Promise<string> {
  const path = file.startsWith("/") ? file : `${cwd.replace(/\/$/, "")}/${file}`;
  const hint = "pass a file path, e.g. --timeline run.mmd";
  if ((await statOrUndefined(path))?.isDirectory) {
    throw new InputError(`Cannot write timeline "${file}": it is a directory`, hint);
  }
  const folder = path.slice(0, path.lastIndexOf("/")) || "/";
  if (!(await statOrUndefined(folder))?.isDirectory) {
    throw new InputError(
      `Cannot write timeline "${file}": folder "${folder}" does not exist`,
      hint,
    );
  }
  return path;
}

/** Writes `text` to a temporary file beside `path`, then renames it into place. */
export async function writeTimeline(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
