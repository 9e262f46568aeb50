/**
 * The JSON Schema of `cluster.yaml`, generated from the zod schema, so that
 * editors (yaml-language-server) complete and check fields. `deno task
 * schema` writes it to `cluster.schema.json`; a test keeps the two in sync.
 */
import { z } from "zod";
import { ConfigSchema } from "./schema.ts";

/** Where the committed schema lives, beside cluster.example.yaml. */
export const SCHEMA_FILE = new URL("../../cluster.schema.json", import.meta.url);

/** The schema as the committed file holds it (2-space JSON, one trailing newline). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, {
    // what a user writes: fields with defaults are optional
    io: "input",
    // refinements (URL checks, no control characters) stay the loader's job
    unrepresentable: "any",
  });
  return JSON.stringify(
    {
      $schema: schema.$schema,
      title: "meshup cluster config",
      description:
        "cluster.yaml: every field is optional except cluster.domain (or CLUSTER_DOMAIN); see cluster.example.yaml",
      ...schema,
    },
    null,
    2,
  ) + "\n";
}

if (import.meta.main) {
  await Deno.writeTextFile(SCHEMA_FILE, configJsonSchema());
}
