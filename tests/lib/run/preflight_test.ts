import { assertEquals, assertStringIncludes } from "../../_assert.ts";
import { executableProblem } from "../../../lib/run/preflight.ts";
import { kubeBinaries } from "../../sim/binaries.ts";

Deno.test("executableProblem() passes this machine's kubectl and a script", async () => {
  assertEquals(await executableProblem((await kubeBinaries()).kubectl), undefined);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/helm`, "#!/bin/sh\necho v4\n");
  assertEquals(await executableProblem(`${dir}/helm`), undefined);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("executableProblem() names a binary built for another architecture and a non-program", async () => {
  const dir = await Deno.makeTempDir();
  const elf = new Uint8Array(64);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]); // ELF, 64-bit, little-endian
  const other = Deno.build.arch === "aarch64" ? 0x3e : 0xb7;
  new DataView(elf.buffer).setUint16(18, other, true);
  await Deno.writeFile(`${dir}/helm`, elf);
  assertStringIncludes(
    (await executableProblem(`${dir}/helm`)) ?? "",
    "is built for another architecture",
  );
  await Deno.writeTextFile(`${dir}/kubectl`, "<html>a download page, not kubectl</html>");
  assertEquals(await executableProblem(`${dir}/kubectl`), "is not an executable program");
  await Deno.remove(dir, { recursive: true });
});
