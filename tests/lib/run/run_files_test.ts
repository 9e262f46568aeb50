import { assert, assertEquals } from "../../_assert.ts";
import { RunFiles } from "../../../lib/run/run_files.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("RunFiles keeps the files a run names after it ends, in a marked folder of its own", async () => {
  const root = await Deno.makeTempDir();
  const path = await new RunFiles(root).write("istio base/values 1.yaml", "a: 1\n");
  assertEquals(await Deno.readTextFile(path), "a: 1\n");
  assert(path.endsWith("/istio_base_values_1.yaml"), path);
  const [run] = await names(root);
  assertEquals(await names(`${root}/${run}`), [".meshup-run", "istio_base_values_1.yaml"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("RunFiles removes only its own oldest run folders beyond the ones it keeps", async () => {
  const root = await Deno.makeTempDir();
  // pid 2147483646: no such process
  const old = [
    "20260101T000000Z-2147483646",
    "20260102T000000Z-2147483646",
    "20260103T000000Z-2147483646",
  ];
  for (const name of old) {
    await Deno.mkdir(`${root}/${name}`);
    await Deno.writeTextFile(`${root}/${name}/.meshup-run`, "");
  }
  // a folder named like ours but without the marker, and a foreign one, are never touched
  await Deno.mkdir(`${root}/20250101T000000Z-9`);
  // nor one whose run is still going (here: this very process)
  await Deno.mkdir(`${root}/20250101T000000Z-${Deno.pid}`);
  await Deno.writeTextFile(`${root}/20250101T000000Z-${Deno.pid}/.meshup-run`, "");
  await Deno.mkdir(`${root}/notes`);
  await new RunFiles(root, { keep: 2 }).write("x.yaml", "x");
  const left = await names(root);
  assertEquals(left.filter((n) => old.includes(n)), ["20260103T000000Z-2147483646"]);
  assert(left.includes("20250101T000000Z-9") && left.includes("notes"));
  assert(left.includes(`20250101T000000Z-${Deno.pid}`), "a live run's folder is kept");
  assertEquals(left.length, 5);
  await Deno.remove(root, { recursive: true });
});
