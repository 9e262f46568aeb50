/**
 * Enrolment in the mesh: bookinfo's namespace carries
 * `istio.io/dataplane-mode=ambient`.
 */
import type { CheckOutcome } from "../common.ts";
import type { CheckContext, CheckDef } from "../context.ts";
import { labelsOf } from "./_helpers.ts";

export const ambientNamespaces: CheckDef = {
  id: "ambient-namespaces",
  title: "ambient namespaces",
  run: checkAmbientNamespaces,
};

async function checkAmbientNamespaces(ctx: CheckContext): Promise<CheckOutcome> {
  const namespaces = [ctx.config.bookinfo.namespace];
  const problems: string[] = [];
  let missing = false;
  for (const name of namespaces) {
    const ns = await ctx.get({ apiVersion: "v1", kind: "Namespace", name });
    if (!ns) {
      problems.push(`namespace ${name} not found`);
      missing = true;
      continue;
    }
    const value = labelsOf(ns)["istio.io/dataplane-mode"];
    if (value !== "ambient") {
      problems.push(
        `namespace ${name} has ${
          value === undefined
            ? "no istio.io/dataplane-mode label"
            : `istio.io/dataplane-mode=${value}`
        }`,
      );
    }
  }
  if (problems.length > 0) {
    return {
      status: "fail",
      detail: problems.join("; "),
      hint: missing
        ? "run `deno task bookinfo`"
        : `kubectl label namespace ${namespaces[0]} istio.io/dataplane-mode=ambient ` +
          "(or re-run `deno task bookinfo`)",
    };
  }
  return {
    status: "pass",
    detail: `${namespaces.join(", ")} ${namespaces.length === 1 ? "carries" : "carry"} ` +
      "istio.io/dataplane-mode=ambient",
  };
}
