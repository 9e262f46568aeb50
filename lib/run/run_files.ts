/**
 * Where a run keeps the files its commands name (values files, manifests):
 * one folder per run under `.cache/runs/`, kept after the run so that every
 * printed command can be repeated by hand; only the last runs are kept.
 * A folder is removed only when it carries the marker this module wrote,
 * and never while the process that made it still runs (runs side by side
 * in one folder, as parallel tests do, keep each other's files).
 */
const MARKER = ".meshup-run";
const NAME = /^\d{8}T\d{6}Z-\d+$/;

/** Whether a process of this host runs with that pid (where `/proc` tells; else no). */
function running(pid: number): boolean {
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}

export class RunFiles {
  readonly #root: string;
  readonly #keep: number;
  #dir: string | undefined;

  /** `root` is the runs folder (e.g. `.cache/runs`); `keep` the runs kept. */
  constructor(root: string, options: { keep?: number } = {}) {
    this.#root = root;
    this.#keep = options.keep ?? 5;
  }

  /** Writes a file of this run and returns its path. */
  async write(name: string, content: string): Promise<string> {
    const path = await this.path(name);
    await Deno.writeTextFile(path, content);
    return path;
  }

  /** The path of a file of this run (the folder made if need be; the file not written). */
  async path(name: string): Promise<string> {
    this.#dir ??= await this.#create();
    return `${this.#dir}/${name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
  }

  async #create(): Promise<string> {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const dir = `${this.#root}/${stamp}-${Deno.pid}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/${MARKER}`, "files of one meshup run\n");
    await this.#prune(dir);
    return dir;
  }

  /** Removes the oldest of our own run folders beyond `keep`. */
  async #prune(current: string): Promise<void> {
    const ours: string[] = [];
    for await (const entry of Deno.readDir(this.#root)) {
      const path = `${this.#root}/${entry.name}`;
      if (!entry.isDirectory || !NAME.test(entry.name) || path === current) continue;
      if (running(Number(entry.name.split("-").at(-1)))) continue;
      const marked = await Deno.lstat(`${path}/${MARKER}`).then((s) => s.isFile, () => false);
      if (marked) ours.push(entry.name);
    }
    ours.sort();
    for (const name of ours.slice(0, Math.max(0, ours.length - (this.#keep - 1)))) {
      await Deno.remove(`${this.#root}/${name}`, { recursive: true }).catch(() => undefined);
    }
  }
}
