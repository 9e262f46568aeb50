/**
 * Tasks: one per component. A task declares its deps and compiles the
 * config into steps; it never runs anything itself.
 */
import type { Config } from "../config/config.ts";
import { InputError } from "../errors.ts";
import type { ChartSource, KubeObject, ObjectRef, RenderedFile, Step } from "./plan.ts";
import { resolveChart, resolveManifest } from "../config/sources.ts";
import { deepMerge, renderTemplate, type TemplateVars } from "../config/template.ts";
import { stringify } from "yaml";

export interface Task {
  id: string;
  description: string;
  deps: string[];
  /** stands for its deps (`up`, `istio:install`): never has steps of its own */
  aggregate?: boolean;
  plan(ctx: PlanContext): Step[];
}

/** What a task may use while planning: config, templates, sources. */
export class PlanContext {
  readonly config: Config;
  readonly vars: TemplateVars;
  readonly #root: string;
  readonly #cwd: string;

  constructor(config: Config, options: { vars: TemplateVars; root: string; cwd: string }) {
    this.config = config;
    this.vars = options.vars;
    this.#root = options.root;
    this.#cwd = options.cwd;
  }

  /** Renders a values file (`values/NAME.yaml`); it must be a mapping. */
  values(name: string): RenderedFile {
    const source = `values/${name}.yaml`;
    const rendered = renderTemplate(this.#read(source), { file: source, vars: this.vars });
    if (rendered.docs.length > 1 || (rendered.docs[0] !== undefined && !isMap(rendered.docs[0]))) {
      throw new InputError(`Cannot render "${source}": a values file must be one YAML mapping`);
    }
    return { source, content: rendered.text };
  }

  /**
   * Renders a manifest (`manifests/NAME.yaml`), deep-merging overlays onto
   * its documents by kind and name, and checks every object's shape.
   */
  manifest(name: string, overlays: string[] = []): { file: RenderedFile; objects: ObjectRef[] } {
    const source = `manifests/${name}.yaml`;
    let docs = renderTemplate(this.#read(source), { file: source, vars: this.vars }).docs;
    for (const overlay of overlays) {
      const over = `manifests/${overlay}.yaml`;
      const extra = renderTemplate(this.#read(over), { file: over, vars: this.vars }).docs;
      docs = docs.map((doc) => {
        const match = extra.find((e) => sameObject(e, doc));
        return match ? deepMerge(doc, match) : doc;
      });
    }
    const objects = docs.map((doc, i) => checkObject(doc, `${source} (document ${i + 1})`));
    const content = objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
    return {
      file: {
        source: overlays.length
          ? [source, ...overlays.map((o) => `manifests/${o}.yaml`)].join("+")
          : source,
        content,
      },
      objects: objects.map(refOf),
    };
  }

  chart(source: string, chart: { name: string; version: string }, field: string): ChartSource {
    return resolveChart(source, chart, { cwd: this.#cwd, field });
  }

  remote(location: string, field: string): string {
    return resolveManifest(location, { cwd: this.#cwd, field });
  }

  #read(rel: string): string {
    try {
      return Deno.readTextFileSync(`${this.#root}/${rel}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new InputError(
          `Cannot read template "${rel}": file not found`,
          "is the project checkout complete?",
        );
      }
      throw e;
    }
  }
}

/** Checks that a parsed document is a Kubernetes object. */
export function checkObject(doc: unknown, where: string): KubeObject {
  if (!isMap(doc)) throw new InputError(`Invalid manifest ${where}: expected a Kubernetes object`);
  const o = doc as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  for (
    const [field, value] of [["apiVersion", o.apiVersion], ["kind", o.kind], [
      "metadata.name",
      meta?.name,
    ]]
  ) {
    if (typeof value !== "string" || value === "") {
      throw new InputError(`Invalid manifest ${where}: "${field}" must be a non-empty string`);
    }
  }
  return o as unknown as KubeObject;
}

export function refOf(o: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
  if (o.metadata.namespace) ref.namespace = o.metadata.namespace;
  return ref;
}

function sameObject(a: unknown, b: unknown): boolean {
  if (!isMap(a) || !isMap(b)) return false;
  const am = a.metadata as Record<string, unknown> | undefined;
  const bm = b.metadata as Record<string, unknown> | undefined;
  return a.kind === b.kind && am?.name === bm?.name;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
