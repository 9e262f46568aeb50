/**
 * A plain HTTP Helm chart repository on 127.0.0.1 for tests: chart folders
 * are packaged with `helm package`, indexed with `helm repo index`, and
 * served with `index.yaml` beside the `.tgz` files, so
 * `helm upgrade --install NAME CHART --repo <url> --version V` works.
 *
 * @module
 */

import { kubeBinaries } from "./binaries.ts";

/** A running chart repository. */
export interface ChartRepo {
  /** The repository URL (`http://127.0.0.1:PORT/charts`), for `helm --repo`. */
  url: string;
  /** Stops serving and removes the packaged charts. */
  close(): Promise<void>;
}

async function helmRun(helm: string, args: string[], home: string): Promise<void> {
  const out = await new Deno.Command(helm, {
    args,
    stdin: "null",
    env: {
      HOME: home,
      HELM_CACHE_HOME: `${home}/cache`,
      HELM_CONFIG_HOME: `${home}/config`,
      HELM_DATA_HOME: `${home}/data`,
    },
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot serve charts: "helm ${args.join(" ")}" exited ${out.code}: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
}

/**
 * Packages chart folders and serves them as a chart repository on 127.0.0.1.
 * Any path prefix is accepted; the returned URL ends in `/charts`.
 */
export async function serveChartRepo(
  charts: string[],
  options: { helm?: string } = {},
): Promise<ChartRepo> {
  const helm = options.helm ?? (await kubeBinaries()).helm;
  const dir = await Deno.makeTempDir({ prefix: "sim-chart-repo-" });
  const home = `${dir}/.home`;
  const files = `${dir}/files`;
  await Deno.mkdir(files, { recursive: true });
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const name = decodeURIComponent(new URL(req.url).pathname.split("/").pop() ?? "");
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("method not allowed", { status: 405 });
      }
      if (!/^[A-Za-z0-9._-]+\.(tgz|yaml|prov)$/.test(name)) {
        return new Response("not found", { status: 404 });
      }
      try {
        const body = await Deno.readFile(`${files}/${name}`);
        const type = name.endsWith(".yaml") ? "application/x-yaml" : "application/gzip";
        return new Response(req.method === "HEAD" ? null : body, {
          headers: { "content-type": type, "content-length": String(body.length) },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    const url = `http://127.0.0.1:${server.addr.port}/charts`;
    for (const chart of charts) await helmRun(helm, ["package", chart, "-d", files], home);
    await helmRun(helm, ["repo", "index", files, "--url", url], home);
    const running = server;
    return {
      url,
      async close(): Promise<void> {
        await running.shutdown();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (error) {
    await server?.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
