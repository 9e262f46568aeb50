import { assert, assertEquals } from "../../_assert.ts";
import { PrestartedCommand } from "../../../lib/run/prestart.ts";
import { DenoProcessRunner } from "../../../lib/kube/process.ts";

/** `sh -c SCRIPT sh --values GATE`: the gate is "$2", as helm's last values file. */
const sh = (script: string): string[] => ["sh", "-c", script, "sh"];

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("PrestartedCommand waits at its gate until go(), then runs on with `{}` read from it", async () => {
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/passed-gate`;
  try {
    const pre = await PrestartedCommand.start(
      new DenoProcessRunner(),
      sh(`cat "$2"; touch ${marker}; echo done`),
      `${dir}/gate.yaml`,
      { timeoutMs: 10_000 },
    );
    assert(pre, "a FIFO can be made here");
    assertEquals(pre.argv.slice(-2), ["--values", `${dir}/gate.yaml`]);
    assert((await Deno.lstat(`${dir}/gate.yaml`)).isFifo);
    // it has started, and holds at the gate
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(await exists(marker), false);
    const seen: string[] = [];
    const r = await pre.go((chunk) => seen.push(chunk));
    assertEquals(r?.code, 0);
    assertEquals(r?.stdout, "{}\ndone\n");
    // what it prints past its gate is streamed to go()'s listener as well
    assertEquals(seen.join(""), "{}\ndone\n");
    // the pipe is now a plain file with what it gave, so that the command can be repeated
    assertEquals(await Deno.readTextFile(`${dir}/gate.yaml`), "{}\n");
    assert((await Deno.lstat(`${dir}/gate.yaml`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrestartedCommand.cancel() stops it before its gate: nothing after the gate ran", async () => {
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/passed-gate`;
  try {
    const pre = await PrestartedCommand.start(
      new DenoProcessRunner({ killGraceMs: 100 }),
      sh(`cat "$2"; touch ${marker}`),
      `${dir}/gate.yaml`,
      {},
    );
    assert(pre);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(await pre.cancel(), true);
    assertEquals(await pre.cancel(), false, "once");
    assertEquals(await exists(marker), false);
    assertEquals(await exists(`${dir}/gate.yaml`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrestartedCommand.go() gives undefined when the process ended before its gate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pre = await PrestartedCommand.start(
      new DenoProcessRunner(),
      sh("exit 3"),
      `${dir}/gate.yaml`,
      {},
    );
    assert(pre);
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(await pre.go(), undefined, "the caller starts it anew");
    assertEquals(await Deno.readTextFile(`${dir}/gate.yaml`), "{}\n", "naming a plain file now");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
