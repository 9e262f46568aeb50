/**
 * Flux's schemas from @kubernetes-models/flux-cd: the package's validators
 * (types, enums, required fields), and a strict walk that the validators
 * lack: every field of a rendered object must be one the schema defines.
 * The package ships its schema as compiled validators plus TypeScript
 * declarations generated from the same CRD schemas; the walk reads the
 * declarations (one interface per schema object, `Array<T>`, string maps,
 * aliases), following imports across the package and its dependencies.
 * A schema object without properties (`JSON`: Helm values) is free-form.
 */
import { HelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2";
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1";
import {
  GitRepository,
  HelmRepository,
  OCIRepository,
} from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1";

const ROOT = new URL("../../../../node_modules/@kubernetes-models/flux-cd/", import.meta.url)
  .pathname;

/** apiVersion/kind -> the model class and its declaration file. */
const KINDS: Record<string, { model: new (data: never) => { validate(): void }; file: string }> = {
  "helm.toolkit.fluxcd.io/v2/HelmRelease": {
    model: HelmRelease as never,
    file: "helm.toolkit.fluxcd.io/v2/HelmRelease.d.ts",
  },
  "kustomize.toolkit.fluxcd.io/v1/Kustomization": {
    model: Kustomization as never,
    file: "kustomize.toolkit.fluxcd.io/v1/Kustomization.d.ts",
  },
  "source.toolkit.fluxcd.io/v1/GitRepository": {
    model: GitRepository as never,
    file: "source.toolkit.fluxcd.io/v1/GitRepository.d.ts",
  },
  "source.toolkit.fluxcd.io/v1/HelmRepository": {
    model: HelmRepository as never,
    file: "source.toolkit.fluxcd.io/v1/HelmRepository.d.ts",
  },
  "source.toolkit.fluxcd.io/v1/OCIRepository": {
    model: OCIRepository as never,
    file: "source.toolkit.fluxcd.io/v1/OCIRepository.d.ts",
  },
};

export function isFluxKind(obj: Record<string, unknown>): boolean {
  return `${obj.apiVersion}/${obj.kind}` in KINDS;
}

/** Throws the validator's message when `obj` breaks its Flux schema. */
export function validateFlux(obj: Record<string, unknown>): void {
  const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (!kind) throw new Error(`Not a Flux kind: ${obj.apiVersion} ${obj.kind}`);
  new kind.model(structuredClone(obj) as never).validate();
}

/** Paths (`/spec/install/retriez`) of every field the schema does not define. */
export function unknownFields(obj: Record<string, unknown>): string[] {
  const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (!kind) throw new Error(`Not a Flux kind: ${obj.apiVersion} ${obj.kind}`);
  const out: string[] = [];
  walk(obj, { type: "ref", file: Deno.realPathSync(`${ROOT}${kind.file}`) }, "", out);
  return out;
}

type TypeExpr =
  | { type: "leaf" }
  | { type: "array"; of: TypeExpr }
  | { type: "map"; of: TypeExpr }
  | { type: "ref"; file: string };

interface Shape {
  props: Map<string, TypeExpr>;
  /** an alias to another type (`type ITime = string`) */
  alias?: TypeExpr;
}

function walk(value: unknown, t: TypeExpr, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  switch (t.type) {
    case "leaf":
      return;
    case "array":
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, t.of, `${path}/${i}`, out));
      return;
    case "map":
      for (const [k, v] of Object.entries(value)) walk(v, t.of, `${path}/${k}`, out);
      return;
    case "ref": {
      const shape = load(t.file);
      if (shape.alias) return walk(value, shape.alias, path, out);
      if (shape.props.size === 0) return; // free-form (x-kubernetes-preserve-unknown-fields)
      for (const [k, v] of Object.entries(value)) {
        const prop = shape.props.get(k);
        if (!prop) out.push(`${path}/${k}`);
        else walk(v, prop, `${path}/${k}`, out);
      }
      return;
    }
  }
}

const cache = new Map<string, Shape>();

/** The first interface (or type alias) a declaration file exports. */
function load(file: string): Shape {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = Deno.readTextFileSync(file).replace(/\/\*\*[\s\S]*?\*\//g, "");
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1], m[2]);
  const resolve = (expr: string): TypeExpr => parseType(expr.trim(), file, imports);
  const shape: Shape = { props: new Map() };
  const iface = /export interface \w+(?: extends ([\w, ]+))? \{\n([\s\S]*?)\n\}/.exec(text);
  const alias = /export type (\w+) = ([^;]+);/.exec(text);
  if (iface) {
    // allOf: the extended schema's fields (TypeMeta's apiVersion and kind are in the body)
    for (const base of (iface[1] ?? "").split(",").map((b) => b.trim()).filter(Boolean)) {
      const from = imports.get(base);
      if (!from || from.startsWith("@kubernetes-models/base")) continue;
      const inherited = load(resolveImport(file, from));
      for (const [k, v] of inherited.props) shape.props.set(k, v);
    }
    const body = iface[2];
    const re = /^ {4}"([^"]+)"\??: (\{\n\s+\[key: string\]: ([^;]+);\n\s+\}|[^;\n]+);$/gm;
    for (const m of body.matchAll(re)) {
      shape.props.set(
        m[1],
        m[3] !== undefined ? { type: "map", of: resolve(m[3]) } : resolve(m[2]),
      );
    }
  } else if (alias) {
    shape.alias = resolve(alias[2]);
  } else {
    throw new Error(`No interface or type in ${file}`);
  }
  cache.set(file, shape);
  return shape;
}

function parseType(expr: string, file: string, imports: Map<string, string>): TypeExpr {
  const array = /^Array<(.+)>$/.exec(expr);
  if (array) return { type: "array", of: parseType(array[1], file, imports) };
  if (/^(string|number|boolean|any|unknown|"[^"]*"(\s*\|\s*"[^"]*")*)$/.test(expr)) {
    return { type: "leaf" };
  }
  const from = imports.get(expr);
  if (!from) throw new Error(`Cannot resolve type "${expr}" in ${file}`);
  return { type: "ref", file: resolveImport(file, from) };
}

/** A relative import next to `file`, or a package import Node-style (walking up node_modules). */
function resolveImport(file: string, spec: string): string {
  const dts = spec.replace(/\.js$/, "") + ".d.ts";
  if (spec.startsWith(".")) {
    return Deno.realPathSync(new URL(dts, `file://${file}`).pathname);
  }
  for (
    let dir = file.slice(0, file.lastIndexOf("/"));
    dir !== "";
    dir = dir.slice(0, dir.lastIndexOf("/"))
  ) {
    try {
      return Deno.realPathSync(`${dir}/node_modules/${dts}`);
    } catch {
      // not in this node_modules: look further up
    }
  }
  throw new Error(`Cannot resolve "${spec}" from ${file}`);
}
