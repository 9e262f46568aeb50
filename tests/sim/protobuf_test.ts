import { assertEquals, assertThrows } from "../_assert.ts";
import { decodeHelmRelease, helmReleaseSecret } from "./helm_release.ts";
import { fromBase64, StatusError } from "./object.ts";
import { decodeProtobuf, encodeSecretProtobuf } from "./protobuf.ts";

Deno.test("decodeProtobuf() reads a Secret as client-go encodes it", () => {
  const bytes = encodeSecretProtobuf({
    name: "sh.helm.release.v1.x.v1",
    namespace: "",
    labels: { owner: "helm", name: "x" },
    data: { release: new Uint8Array([0, 1, 2, 250]) },
    type: "helm.sh/release.v1",
  });
  const obj = decodeProtobuf(bytes);
  assertEquals(obj.apiVersion, "v1");
  assertEquals(obj.kind, "Secret");
  assertEquals(obj.metadata, {
    name: "sh.helm.release.v1.x.v1",
    labels: { owner: "helm", name: "x" },
  });
  assertEquals(obj.type, "helm.sh/release.v1");
  assertEquals([...fromBase64(String((obj.data as Record<string, string>).release))], [
    0,
    1,
    2,
    250,
  ]);
});

Deno.test("decodeProtobuf() refuses kinds it cannot decode with a 415 that names them", () => {
  const bytes = encodeSecretProtobuf({ name: "x" });
  // rewrite the kind "Secret" to "Secrex"
  const i = bytes.lastIndexOf(0x74); // 't' of "Secret" in the type meta
  const copy = bytes.slice();
  copy[i] = 0x78;
  const error = assertThrows(() => decodeProtobuf(copy), StatusError);
  assertEquals(error.code, 415);
});

Deno.test("helmReleaseSecret() stores base64(gzip(json)) under data.release with helm's labels", async () => {
  const secret = await helmReleaseSecret({
    name: "istiod",
    namespace: "istio-system",
    revision: 3,
    status: "pending-install",
    chart: { name: "istiod", version: "1.30.0", appVersion: "1.30.0" },
  });
  assertEquals(secret.metadata.name, "sh.helm.release.v1.istiod.v3");
  assertEquals(secret.type, "helm.sh/release.v1");
  const labels = secret.metadata.labels ?? {};
  assertEquals([labels.name, labels.owner, labels.status, labels.version], [
    "istiod",
    "helm",
    "pending-install",
    "3",
  ]);
  const release = await decodeHelmRelease(secret);
  assertEquals(release.name, "istiod");
  assertEquals(release.version, 3);
  assertEquals((release.info as Record<string, unknown>).status, "pending-install");
});
