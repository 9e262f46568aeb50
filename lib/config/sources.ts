/**
 * Chart and manifest sources: a Helm repository URL, an `oci://` reference,
 * a local chart folder or `.tgz`; manifests from a URL or a local path.
 * Local paths are checked while planning, so a typo fails before any
 * command runs.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.ts";
import type { ChartSource } from "../plan/plan.ts";

export interface SourceOptions {
  /** directory relative paths are resolved against */
  cwd: string;
  /** config field the source came from, for error messages */
  field: string;
}

/** Resolves where `chart` at `version` comes from. Throws `InputError`. */
export function resolveChart(
  source: string,
  chart: { name: string; version: string },
  options: SourceOptions,
): ChartSource {
  if (/^https?:\/\//.test(source)) {
    return {
      type: "repo",
      repo: source.replace(/\/+$/, ""),
      chart: chart.name,
      version: chart.version,
    };
  }
  if (source.startsWith("oci://")) {
    return {
      type: "oci",
      ref: `${source.replace(/\/+$/, "")}/${chart.name}`,
      version: chart.version,
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new InputError(
      `Invalid config: field "${options.field}" has an unsupported scheme (got ${
        JSON.stringify(source)
      })`,
      "use an http(s) Helm repository URL, an oci:// reference, a chart folder or a .tgz",
    );
  }
  const abs = absolute(options.cwd, source);
  if (source.endsWith(".tgz")) {
    if (!isFile(abs)) throw missing(source, chart.name, chart.version, options.field);
    return { type: "tgz", path: source, digest: digestFile(abs) };
  }
  if (isFile(`${abs}/Chart.yaml`)) {
    return { type: "dir", path: source, digest: digestDir(abs) };
  }
  const sub = `${source.replace(/\/+$/, "")}/${chart.name}`;
  if (isFile(`${absolute(options.cwd, sub)}/Chart.yaml`)) {
    return { type: "dir", path: sub, digest: digestDir(absolute(options.cwd, sub)) };
  }
  const tgz = chart.version === ""
    ? onlyPackage(source, chart.name, options)
    : `${source.replace(/\/+$/, "")}/${chart.name}-${chart.version}.tgz`;
  if (tgz && isFile(absolute(options.cwd, tgz))) {
    return { type: "tgz", path: tgz, digest: digestFile(absolute(options.cwd, tgz)) };
  }
  throw missing(source, chart.name, chart.version, options.field);
}

/**
 * With no version asked for (Cilium's `--fix` keeps the installed one), the
 * one `NAME-VERSION.tgz` in the folder; more than one is ambiguous.
 */
function onlyPackage(source: string, name: string, options: SourceOptions): string | undefined {
  const dir = source.replace(/\/+$/, "");
  let names: string[];
  try {
    names = [...Deno.readDirSync(absolute(options.cwd, dir))]
      .filter((e) => e.isFile && new RegExp(`^${name}-v?\\d[^/]*\\.tgz$`).test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return undefined;
  }
  if (names.length > 1) {
    throw new InputError(
      `Invalid config: field "${options.field}": "${source}" holds ${names.length} "${name}" charts (${
        names.join(", ")
      })`,
      `name one: ${options.field}: ${dir}/${names[names.length - 1]}`,
    );
  }
  return names.length === 1 ? `${dir}/${names[0]}` : undefined;
}

/** Resolves a manifest location: a URL stays a URL, a local file must exist. */
export function resolveManifest(location: string, options: SourceOptions): string {
  if (/^https?:\/\//.test(location)) return location;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new InputError(
      `Invalid config: field "${options.field}" has an unsupported scheme (got ${
        JSON.stringify(location)
      })`,
      "use an http(s) URL or a local path",
    );
  }
  if (!isFile(absolute(options.cwd, location))) {
    throw new InputError(
      `Invalid config: field "${options.field}" points to a missing file "${location}"`,
      "check the path (relative paths are resolved against the current directory)",
    );
  }
  return location;
}

/** Joins a URL base or folder with a relative path. */
export function joinLocation(base: string, rel: string): string {
  return `${base.replace(/\/+$/, "")}/${rel}`;
}

function missing(source: string, chart: string, version: string, field: string): InputError {
  return new InputError(
    `Invalid config: field "${field}": cannot find chart "${chart}" in "${source}"`,
    `expected ${source}/Chart.yaml, ${source}/${chart}/Chart.yaml or ${source}/${chart}-${
      version || "VERSION"
    }.tgz`,
  );
}

export function absolute(cwd: string, p: string): string {
  return p.startsWith("/") ? p : `${cwd.replace(/\/+$/, "")}/${p.replace(/^\.\//, "")}`;
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

function digestFile(p: string): string {
  return createHash("sha256").update(Deno.readFileSync(p)).digest("hex").slice(0, 16);
}

function digestDir(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string, rel: string): void => {
    const entries = [...Deno.readDirSync(d)].sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${d}/${e.name}`, r);
      else if (e.isFile) hash.update(r).update("\0").update(Deno.readFileSync(`${d}/${e.name}`));
    }
  };
  walk(dir, "");
  return hash.digest("hex").slice(0, 16);
}
