/**
 * The local tools: kubectl (and its skew from the server) and helm.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { parseMinor } from "./versions.ts";

export const kubectl: CheckDef = { id: "kubectl", title: "kubectl", run: checkKubectl };

export const helm: CheckDef = { id: "helm", title: "helm", run: checkHelm };

async function checkKubectl(ctx: CheckContext): Promise<CheckOutcome> {
  const version = (await ctx.kubectlVersion()) ?? "unknown version";
  const server = await ctx.version();
  const c = parseMinor(version);
  const s = server.ok ? parseMinor(server.gitVersion) : undefined;
  if (c && s && c[0] === s[0] && Math.abs(c[1] - s[1]) > 1) {
    return {
      status: "warn",
      detail: `kubectl ${version} is more than one minor version from the server's ${
        server.ok ? server.gitVersion : ""
      }`,
      hint: `use kubectl 1.${s[1] - 1}-1.${s[1] + 1} (kubectl supports one minor version of skew)`,
    };
  }
  return { status: "pass", detail: `${version} (client)` };
}

async function checkHelm(ctx: CheckContext): Promise<CheckOutcome> {
  const version = await ctx.helmVersion();
  const v = parseMinor(version);
  if (!v || v[0] < 3) {
    return {
      status: "fail",
      detail: `helm ${version || "(no version)"}: helm 3 or 4 is needed`,
      hint: "install helm 3.x or 4.x: https://helm.sh/docs/intro/install/",
    };
  }
  return { status: "pass", detail: version };
}
