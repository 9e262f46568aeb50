/**
 * Flux sources: a HelmRepository per chart repository, an OCIRepository per
 * `oci://` chart, and a GitRepository per manifest that `up` fetches from a
 * URL (pinned to the branch or tag in that URL). Local charts and files
 * cannot be reached by a cluster: they are refused with a hint.
 */
import type { ApplyStep, ChartSource, HelmReleaseStep } from "../plan.ts";
import { fluxError, type FluxTask, kustomizationNames } from "./model.ts";

/** How a HelmRelease finds its chart. */
export type ChartRef =
  | { kind: "HelmRepository"; name: string; chart: string; version: string }
  | { kind: "OCIRepository"; name: string };

/** Where a remote manifest step's files live in Git. */
export interface GitSource {
  /** GitRepository and Kustomization name */
  name: string;
  url: string;
  ref: { branch: string } | { tag: string };
  /** folder of the files inside the repository */
  path: string;
  /** the only files to apply from `path`; none: the folder's own kustomization.yaml */
  files: string[];
}

export interface Sources {
  /** the source objects, in the order first used */
  objects: Record<string, unknown>[];
  charts: Map<HelmReleaseStep, ChartRef>;
  git: Map<ApplyStep, GitSource>;
}

const HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

export function buildSources(
  tasks: readonly FluxTask[],
  o: { namespace: string; releaseNames: Map<HelmReleaseStep, string> },
): Sources {
  const objects: Record<string, unknown>[] = [];
  const charts = new Map<HelmReleaseStep, ChartRef>();
  const git = new Map<ApplyStep, GitSource>();
  const repos = new Map<string, string>();
  const meta = (name: string): Record<string, unknown> => ({ name, namespace: o.namespace });
  for (const t of tasks) {
    for (const step of t.releases) {
      const chart = step.chart;
      if (chart.type === "repo") {
        let name = repos.get(chart.repo);
        if (!name) {
          name = unique(t.task.id.split(":")[0], new Set(repos.values()));
          repos.set(chart.repo, name);
          objects.push({
            apiVersion: "source.toolkit.fluxcd.io/v1",
            kind: "HelmRepository",
            metadata: meta(name),
            spec: { interval: "1h", url: chart.repo },
          });
        }
        charts.set(step, {
          kind: "HelmRepository",
          name,
          chart: chart.chart,
          version: chart.version,
        });
      } else if (chart.type === "oci") {
        const name = o.releaseNames.get(step)!;
        objects.push({
          apiVersion: "source.toolkit.fluxcd.io/v1",
          kind: "OCIRepository",
          metadata: meta(name),
          spec: {
            interval: "1h",
            url: chart.ref,
            ref: { tag: chart.version.replaceAll("+", "_") },
            layerSelector: { mediaType: HELM_LAYER, operation: "copy" },
          },
        });
        charts.set(step, { kind: "OCIRepository", name });
      } else {
        throw localChart(t.task.id, chart);
      }
    }
    const names = kustomizationNames(t);
    for (const step of t.remote) {
      const source = gitSource(step, names.remote.get(step)!, t.task.id);
      git.set(step, source);
      objects.push({
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: meta(source.name),
        spec: {
          interval: "1h",
          url: source.url,
          ref: source.ref,
          sparseCheckout: [source.path],
          ...(source.files.length ? { ignore: ignoreAllBut(source.path, source.files) } : {}),
        },
      });
    }
  }
  return { objects, charts, git };
}

/** `chart` of `repo`, or the last segment of an `oci://` reference. */
export function chartName(chart: ChartSource): string {
  if (chart.type === "repo") return chart.chart;
  if (chart.type === "oci") return chart.ref.slice(chart.ref.lastIndexOf("/") + 1);
  const leaf = chart.path.replace(/\/+$/, "");
  return leaf.slice(leaf.lastIndexOf("/") + 1).replace(/-\d[^/]*\.tgz$/, "");
}

function localChart(task: string, chart: ChartSource & { path: string }): Error {
  return fluxError(
    task,
    `its chart is the local ${
      chart.type === "tgz" ? "package" : "folder"
    } "${chart.path}", which a cluster cannot read`,
    "publish it (helm push CHART.tgz oci://REGISTRY/PATH) and point the config's charts field at the oci:// or https:// repository",
  );
}

/**
 * The Git repository behind a fetched manifest. Two URL shapes are
 * understood: a raw file on GitHub (repository, branch or tag, path) and
 * the Gateway API release assets, which are built from `config/crd` of
 * the same tag (the Kustomize form Istio's docs install them with).
 */
function gitSource(step: ApplyStep, name: string, task: string): GitSource {
  const parsed = step.remote.map((r) => parseRemote(r.url, task));
  const first = parsed[0];
  for (const p of parsed) {
    if (p.url !== first.url || JSON.stringify(p.ref) !== JSON.stringify(first.ref)) {
      throw fluxError(
        task,
        `step "${step.id}" fetches from two repositories or refs`,
        "use one source per step",
      );
    }
  }
  const files = parsed.flatMap((p) => (p.file ? [p.file] : []));
  const dirs = new Set(parsed.map((p) => p.path));
  if (dirs.size > 1 || (files.length && files.length !== parsed.length)) {
    throw fluxError(task, `step "${step.id}" fetches from two folders`, "use one folder per step");
  }
  return { name, url: first.url, ref: first.ref, path: first.path, files: files.sort() };
}

interface ParsedRemote {
  url: string;
  ref: { branch: string } | { tag: string };
  path: string;
  file?: string;
}

function parseRemote(url: string, task: string): ParsedRemote {
  const raw = /^https:\/\/raw\.githubusercontent\.com\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(url);
  if (raw) {
    const [, org, repo, ref, path] = raw;
    const slash = path.lastIndexOf("/");
    return {
      url: `https://github.com/${org}/${repo}`,
      ref: refOf(ref),
      path: slash < 0 ? "." : path.slice(0, slash),
      file: path.slice(slash + 1),
    };
  }
  const asset =
    /^https:\/\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/([^/]+)\/(standard|experimental)-install\.yaml$/
      .exec(url);
  if (asset) {
    return {
      url: "https://github.com/kubernetes-sigs/gateway-api",
      ref: { tag: asset[1] },
      path: asset[2] === "standard" ? "config/crd" : "config/crd/experimental",
    };
  }
  const local = !/^https?:\/\//.test(url);
  throw fluxError(
    task,
    local
      ? `it applies the local file "${url}", which a cluster cannot read`
      : `Flux cannot fetch "${url}" from Git or a registry`,
    "point the source at a raw.githubusercontent.com URL (repository, branch or tag, path), or commit the file to your Flux repository and apply it from there",
  );
}

/** A release tag (`v1.5.1`, `1.30.3`) is a tag; anything else (`release-1.30`) a branch. */
function refOf(ref: string): { branch: string } | { tag: string } {
  return /^v?\d+\.\d+(\.\d+)?([-+].*)?$/.test(ref) ? { tag: ref } : { branch: ref };
}

/** A `.sourceignore`-style rule set that keeps only `files` of folder `path`. */
export function ignoreAllBut(path: string, files: readonly string[]): string {
  const lines = ["# keep only the files meshup applies", "/*"];
  const parts = path === "." ? [] : path.split("/");
  for (let i = 0; i < parts.length; i++) {
    const dir = parts.slice(0, i + 1).join("/");
    lines.push(`!/${dir}/`, `/${dir}/*`);
  }
  const base = parts.length ? `/${parts.join("/")}/` : "/";
  for (const f of files) lines.push(`!${base}${f}`);
  return lines.join("\n") + "\n";
}

function unique(base: string, used: Set<string>): string {
  if (!used.has(base)) return base;
  for (let i = 2;; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}
