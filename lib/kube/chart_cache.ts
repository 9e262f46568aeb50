/**
 * Charts from a Helm repository, downloaded once into a local cache and
 * checked against the digest the repository's index gives, so that `helm
 * upgrade` installs from a local archive instead of fetching the (often
 * megabytes large) index and the chart again on every run. Versioned
 * charts are immutable; a failure to cache is never an error: helm then
 * fetches from the repository itself, as it would without the cache.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";
import { readBytes } from "./body.ts";

export interface RepoChart {
  repo: string;
  chart: string;
  version: string;
}

export interface ChartCacheOptions {
  /** fetches a URL (tests inject one); default: fetch with a deadline */
  fetch?: (url: string, signal?: AbortSignal) => Promise<Uint8Array>;
  /** deadline of each download (default 60 s) */
  timeoutMs?: number;
}

const SAFE = /^[A-Za-z0-9._+-]+$/;

export class ChartCache {
  readonly #root: string;
  readonly #fetch: (url: string, signal?: AbortSignal) => Promise<Uint8Array>;
  /** the index of each repository, read once per cache */
  readonly #indexes = new Map<string, Promise<Record<string, unknown>>>();
  /** one download per chart, however many steps ask */
  readonly #pending = new Map<string, Promise<string | undefined>>();

  /** `root` is the cache folder, e.g. `.cache/charts`. */
  constructor(root: string, options: ChartCacheOptions = {}) {
    this.#root = root;
    const timeoutMs = options.timeoutMs ?? 60_000;
    this.#fetch = options.fetch ?? ((url, signal) => download(url, timeoutMs, signal));
  }

  /** The path of the chart's archive in the cache, or undefined when it cannot be cached. */
  localChart(chart: RepoChart, signal?: AbortSignal): Promise<string | undefined> {
    if (!chart.version || !SAFE.test(chart.chart) || !SAFE.test(chart.version)) {
      return Promise.resolve(undefined);
    }
    const path = `${this.#root}/${
      hash(chart.repo).slice(0, 16)
    }/${chart.chart}-${chart.version}.tgz`;
    let pending = this.#pending.get(path);
    if (!pending) {
      pending = this.#fill(chart, path, signal).catch(() => undefined);
      this.#pending.set(path, pending);
    }
    return pending;
  }

  async #fill(chart: RepoChart, path: string, signal?: AbortSignal): Promise<string | undefined> {
    if (await Deno.lstat(path).then((s) => s.isFile, () => false)) return path;
    const entry = await this.#entry(chart, signal);
    if (!entry) return undefined;
    const bytes = await this.#fetch(entry.url, signal);
    if (entry.digest && hash(bytes) !== entry.digest) return undefined;
    const dir = path.slice(0, path.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
    return path;
  }

  /** The chart version's download URL and digest, from the repository index. */
  async #entry(
    chart: RepoChart,
    signal?: AbortSignal,
  ): Promise<{ url: string; digest?: string } | undefined> {
    const base = chart.repo.replace(/\/+$/, "");
    let index = this.#indexes.get(base);
    if (!index) {
      index = this.#fetch(`${base}/index.yaml`, signal).then((bytes) =>
        // every scalar a string: a digest of only digits must not become a number
        parse(new TextDecoder().decode(bytes), {
          schema: "failsafe",
          maxAliasCount: 100,
        }) as Record<
          string,
          unknown
        >
      );
      this.#indexes.set(base, index);
      index.catch(() => this.#indexes.delete(base));
    }
    const entries = ((await index).entries ?? {}) as Record<string, Record<string, unknown>[]>;
    const found = (entries[chart.chart] ?? []).find((e) => String(e.version) === chart.version);
    const first = (found?.urls as string[] | undefined)?.[0];
    if (!first) return undefined;
    const url = new URL(first, `${base}/`).href;
    const digest = typeof found!.digest === "string" ? found!.digest : undefined;
    return { url, ...(digest ? { digest } : {}) };
  }
}

function hash(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

async function download(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const res = await fetch(url, { signal: both });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} for ${url}`);
  }
  return await readBytes(res, both);
}
