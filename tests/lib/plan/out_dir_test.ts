import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../_assert.ts";
import { readTree } from "../../_golden.ts";
import { InputError } from "../../../lib/errors.ts";
import { MARKER, prepareOutDir, writeOutDir } from "../../../lib/plan/out_dir.ts";
import { main, TASKS } from "../../../Taskfile.ts";

const REPO = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function render(
  args: string[],
  cwd: string,
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["render", "--config", `${REPO}/cluster.example.yaml`, ...args], {
    env: {},
    cwd,
    tasks: TASKS,
    root: REPO,
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
  });
  return { code, out, err };
}

Deno.test("prepareOutDir() refuses a non-empty folder that meshup did not write, touching nothing", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    const e = await assertRejects(
      () => prepareOutDir(dir, { files: ["notes.txt", "a.yaml"], shown: "out" }),
      InputError,
    );
    assertStringIncludes(e.message, 'Refusing to render into "out"');
    assertStringIncludes(e.message, MARKER);
    assertEquals(await readTree(dir), new Map([["notes.txt", "mine"]]));
  });
});

Deno.test("prepareOutDir() refuses a path that is a file and leaves the file as it was", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/report`, "keep me");
    const e = await assertRejects(
      () => prepareOutDir(`${dir}/report`, { files: ["a.yaml"] }),
      InputError,
    );
    assertStringIncludes(e.message, "it is a file, not a folder");
    assertEquals(await Deno.readTextFile(`${dir}/report`), "keep me");
  });
});

Deno.test("prepareOutDir() replaces only the files of our earlier render and keeps the user's", async () => {
  await withTemp(async (dir) => {
    await writeOutDir(
      dir,
      new Map([["a/old.yaml", "old"], ["a/b/deep.yaml", "deep"], ["keep.yaml", "v1"]]),
    );
    await Deno.writeTextFile(`${dir}/a/notes.txt`, "the user's");
    const next = new Map([["keep.yaml", "v2"], ["new.yaml", "new"]]);
    await prepareOutDir(dir, { files: [...next.keys()] });
    await writeOutDir(dir, next);
    const tree = await readTree(dir);
    assertEquals([...tree.keys()].sort(), [MARKER, "a/notes.txt", "keep.yaml", "new.yaml"]);
    assertEquals(tree.get("keep.yaml"), "v2");
    assertEquals(tree.get("a/notes.txt"), "the user's");
    assertEquals(tree.get(MARKER)!.split("\n").slice(1, 3), ["keep.yaml", "new.yaml"]);
  });
});

Deno.test("prepareOutDir() refuses to overwrite a file in our folder that we did not write", async () => {
  await withTemp(async (dir) => {
    await writeOutDir(dir, new Map([["a.yaml", "ours"]]));
    await Deno.writeTextFile(`${dir}/b.yaml`, "the user's");
    const e = await assertRejects(
      () => prepareOutDir(dir, { files: ["a.yaml", "b.yaml"] }),
      InputError,
    );
    assertStringIncludes(e.message, '"b.yaml" exists and an earlier render did not write it');
    assertEquals(await Deno.readTextFile(`${dir}/a.yaml`), "ours");
    assertEquals(await Deno.readTextFile(`${dir}/b.yaml`), "the user's");
  });
});

Deno.test("render --out . in a Git checkout exits 2 and leaves the checkout as it was", async () => {
  await withTemp(async (dir) => {
    await Deno.mkdir(`${dir}/.git`);
    await Deno.writeTextFile(`${dir}/.git/HEAD`, "ref: refs/heads/main\n");
    await Deno.writeTextFile(`${dir}/README.md`, "a project\n");
    for (const format of ["files", "flux"]) {
      const before = await readTree(dir);
      const r = await render(["--format", format, "--out", "."], dir);
      assertEquals(r.code, 2, r.err);
      assertStringIncludes(r.err, 'Refusing to render into ".": it holds a Git checkout (.git)');
      assertStringIncludes(r.err, "hint:");
      assertEquals(await readTree(dir), before);
    }
  });
});

Deno.test("render writes into an absent folder, then replaces its own output when the format changes", async () => {
  await withTemp(async (dir) => {
    const first = await render(["--format", "flux", "--out", "out"], dir);
    assertEquals(first.code, 0, first.err);
    const flux = await readTree(`${dir}/out`);
    assert(flux.has("kustomizations.yaml") && flux.has(MARKER));
    await Deno.writeTextFile(`${dir}/out/notes.md`, "the user's");
    const second = await render(["--out", "out"], dir);
    assertEquals(second.code, 0, second.err);
    const files = await readTree(`${dir}/out`);
    assert(!files.has("kustomizations.yaml"), "the earlier Flux files are gone");
    assert(files.has("plan.json"));
    assertEquals(files.get("notes.md"), "the user's");
  });
});
