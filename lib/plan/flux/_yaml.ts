/**
 * YAML for the Flux render: keys sorted, no line folding, documents joined
 * with `---`, so that one config always gives the same bytes.
 */
import { parseAllDocuments, stringify } from "yaml";

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, sortMapEntries: true });
}

export function toYamlDocs(values: readonly unknown[]): string {
  return values.map(toYaml).join("---\n");
}

/** The objects of a multi-document YAML text, empty documents dropped. */
export function parseDocs(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o): o is Record<string, unknown> =>
      o !== null && typeof o === "object" && !Array.isArray(o)
    );
}
