/**
 * Golden files: compare a set of rendered files with tests/golden/NAME/,
 * or rewrite them with UPDATE_GOLDEN=1 (`deno task test:update`).
 */
import { assertEquals } from "./_assert.ts";

const GOLDEN = new URL("./golden/", import.meta.url).pathname;

export async function assertGolden(name: string, files: Map<string, string>): Promise<void> {
  const dir = `${GOLDEN}${name}`;
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    for (const [path, content] of files) {
      const full = `${dir}/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(full, content);
    }
    return;
  }
  const expected = await readTree(dir);
  const hint =
    `golden files in tests/golden/${name} differ; if the change is intended, run: deno task test:update`;
  assertEquals([...files.keys()].sort(), [...expected.keys()].sort(), hint);
  for (const [path, content] of files) {
    assertEquals(content, expected.get(path), `${path}: ${hint}`);
  }
}

export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(`${d}/${e.name}`, r);
      else out.set(r, await Deno.readTextFile(`${d}/${e.name}`));
    }
  };
  try {
    await walk(dir, "");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}
