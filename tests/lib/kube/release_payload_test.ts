import { assertEquals } from "../../_assert.ts";
import {
  latestReleaseCharts,
  releaseChart,
  releaseConfig,
} from "../../../lib/kube/release_payload.ts";

/** A release Secret as the API server returns it: base64 of helm's base64 of gzipped JSON. */
async function secret(
  name: string,
  revision: number,
  version: string,
): Promise<Record<string, unknown>> {
  const json = JSON.stringify({
    name,
    chart: { metadata: { name: "istiod", version, appVersion: version } },
    config: { password: "never-read" },
  });
  const gz = new Uint8Array(
    await new Response(
      new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const helmText = btoa(String.fromCharCode(...gz));
  return {
    metadata: {
      name: `sh.helm.release.v1.${name}.v${revision}`,
      namespace: "istio-system",
      labels: { owner: "helm", name, version: String(revision), status: "deployed" },
    },
    data: { release: btoa(helmText) },
  };
}

Deno.test("releaseChart() reads the chart's name and versions from a release Secret and nothing else", async () => {
  const chart = await releaseChart(await secret("istiod", 3, "1.29.2"));
  assertEquals(chart, {
    release: "istiod",
    namespace: "istio-system",
    revision: 3,
    status: "deployed",
    chart: "istiod",
    version: "1.29.2",
    appVersion: "1.29.2",
  });
  assertEquals(
    await releaseChart({ metadata: { labels: { owner: "helm", name: "x" } } }),
    undefined,
  );
  assertEquals(
    await releaseChart({
      metadata: { labels: { owner: "helm", name: "x" } },
      data: { release: "!!" },
    }),
    undefined,
  );
});

Deno.test("latestReleaseCharts() keeps the newest revision of each release", async () => {
  const charts = await latestReleaseCharts([
    await secret("istiod", 1, "1.29.2"),
    await secret("istiod", 2, "1.30.3"),
  ]);
  assertEquals(charts.map((c) => [c.release, c.revision, c.version]), [["istiod", 2, "1.30.3"]]);
});

Deno.test("releaseConfig() returns the release's user-supplied values, and undefined for a Secret that is not a release", async () => {
  assertEquals(await releaseConfig(await secret("istiod", 1, "1.30.3")), {
    password: "never-read",
  });
  assertEquals(
    await releaseConfig({ metadata: { labels: { owner: "helm", name: "x" } } }),
    undefined,
  );
  assertEquals(
    await releaseConfig({
      metadata: { labels: { owner: "helm", name: "x" } },
      data: { release: "!!" },
    }),
    undefined,
  );
});
