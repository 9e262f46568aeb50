import { assertEquals, assertStringIncludes } from "../../_assert.ts";
import { configJsonSchema, SCHEMA_FILE } from "../../../lib/config/json_schema.ts";
import { knownKeys } from "../../../lib/config/schema.ts";

const REPO = new URL("../../..", import.meta.url);

Deno.test("cluster.schema.json is the schema generated from the zod config schema", async () => {
  const committed = await Deno.readTextFile(SCHEMA_FILE);
  assertEquals(
    committed === configJsonSchema(),
    true,
    "cluster.schema.json is out of date with lib/config/schema.ts; run: deno task schema",
  );
});

Deno.test("the JSON Schema knows every field the loader knows, and no others", () => {
  const schema = JSON.parse(configJsonSchema());
  assertEquals(Object.keys(schema.properties), knownKeys([]));
  for (const section of knownKeys([])) {
    const part = schema.properties[section];
    assertEquals(Object.keys(part.properties), knownKeys([section]), section);
    assertEquals(part.additionalProperties, false, section);
  }
  assertEquals(schema.properties.istio.properties.version.type, "string");
  assertEquals(schema.properties.cilium.properties.mode.enum, ["check", "fix", "off"]);
  // fields with a default are optional to write
  assertEquals(schema.properties.istio.required, undefined);
});

Deno.test("cluster.example.yaml points editors at the schema", async () => {
  const example = await Deno.readTextFile(new URL("cluster.example.yaml", REPO));
  assertEquals(
    example.split("\n")[0],
    "# yaml-language-server: $schema=./cluster.schema.json",
  );
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", REPO))).tasks;
  assertStringIncludes(tasks.schema, "lib/config/json_schema.ts");
});
