import { assert, assertEquals } from "../../_assert.ts";
import { createHash } from "node:crypto";
import { ChartCache } from "../../../lib/kube/chart_cache.ts";

const ARCHIVE = new TextEncoder().encode("pretend this is a chart archive");
const DIGEST = createHash("sha256").update(ARCHIVE).digest("hex");

function repo(digest = DIGEST): { fetched: string[]; fetch: (url: string) => Promise<Uint8Array> } {
  const fetched: string[] = [];
  const index = [
    "apiVersion: v1",
    "entries:",
    "  istiod:",
    "    - version: 1.30.3",
    `      digest: ${digest}`,
    "      urls: [istiod-1.30.3.tgz]",
  ].join("\n");
  return {
    fetched,
    fetch: (url: string) => {
      fetched.push(url);
      if (url.endsWith("/index.yaml")) return Promise.resolve(new TextEncoder().encode(index));
      if (url.endsWith("/istiod-1.30.3.tgz")) return Promise.resolve(ARCHIVE);
      return Promise.reject(new Error(`HTTP 404 for ${url}`));
    },
  };
}

const ISTIOD = { repo: "http://charts.example/istio", chart: "istiod", version: "1.30.3" };

Deno.test("ChartCache downloads a repository chart once, checked against the index's digest", async () => {
  const root = await Deno.makeTempDir();
  const r = repo();
  const path = await new ChartCache(root, { fetch: r.fetch }).localChart(ISTIOD);
  assert(path?.endsWith("/istiod-1.30.3.tgz"), path);
  assertEquals(await Deno.readFile(path!), ARCHIVE);
  assertEquals(r.fetched, [
    "http://charts.example/istio/index.yaml",
    "http://charts.example/istio/istiod-1.30.3.tgz",
  ]);
  // a later run finds it on disk and fetches nothing
  const again = repo();
  assertEquals(await new ChartCache(root, { fetch: again.fetch }).localChart(ISTIOD), path);
  assertEquals(again.fetched, []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("ChartCache leaves helm to fetch a chart it cannot verify or find", async () => {
  const root = await Deno.makeTempDir();
  const wrong = repo("0".repeat(64));
  assertEquals(await new ChartCache(root, { fetch: wrong.fetch }).localChart(ISTIOD), undefined);
  const r = repo();
  const cache = new ChartCache(root, { fetch: r.fetch });
  assertEquals(await cache.localChart({ ...ISTIOD, version: "9.9.9" }), undefined);
  assertEquals(await cache.localChart({ ...ISTIOD, version: "" }), undefined);
  assertEquals(await cache.localChart({ ...ISTIOD, chart: "../../etc" }), undefined);
  const unreachable = new ChartCache(root, { fetch: () => Promise.reject(new Error("refused")) });
  assertEquals(await unreachable.localChart(ISTIOD), undefined);
  // nothing unverified was left behind
  const left: string[] = [];
  for await (const e of Deno.readDir(root)) left.push(e.name);
  for (const dir of left) {
    for await (const f of Deno.readDir(`${root}/${dir}`)) assert(false, `left ${dir}/${f.name}`);
  }
  await Deno.remove(root, { recursive: true });
});
