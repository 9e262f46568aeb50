import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { HELM_VERSION, kubeBinaries, KUBECTL_VERSION } from "./binaries.ts";

Deno.test("kubeBinaries() gives kubectl 1.35.2 and helm 4.1.4, once even when asked concurrently", async () => {
  const [a, b] = await Promise.all([kubeBinaries(), kubeBinaries()]);
  assertEquals(a, b);
  assertStringIncludes(a.kubectl, "/.cache/kube-bins/");
  const kubectl = await new Deno.Command(a.kubectl, { args: ["version", "--client", "-o", "json"] })
    .output();
  assertEquals(
    JSON.parse(new TextDecoder().decode(kubectl.stdout)).clientVersion.gitVersion,
    KUBECTL_VERSION,
  );
  const helm = await new Deno.Command(a.helm, { args: ["version", "--template", "{{.Version}}"] })
    .output();
  assertEquals(new TextDecoder().decode(helm.stdout), HELM_VERSION);
});

Deno.test("kubeBinaries({ preferPath }) ignores PATH binaries of other versions", async () => {
  const bins = await kubeBinaries({ preferPath: true });
  const out = await new Deno.Command(bins.kubectl, { args: ["version", "--client", "-o", "json"] })
    .output();
  const version: string = JSON.parse(new TextDecoder().decode(out.stdout)).clientVersion.gitVersion;
  assertEquals(version.split(".").slice(0, 2).join("."), "v1.35");
});
