/**
 * `check`: Cilium's live settings for ambient. A mismatch stops the run
 * with a hint, or with `fix` upgrades the Cilium release with
 * `--reuse-values` and restarts its agents.
 */
import { InputError } from "../../errors.ts";
import { helmReuseValuesArgv } from "../../kube/argv.ts";
import type { CheckStep } from "../../plan/plan.ts";
import type { Decision, Executor, StepContext } from "../executor.ts";
import { timeoutSeconds, unchanged } from "../executor.ts";
import { waitReady } from "../wait.ts";

interface Mismatch {
  key: string;
  got: string | undefined;
  want: string;
}

/** The keys of cilium-config that differ from what ambient needs; undefined without Cilium. */
async function mismatches(ctx: StepContext, step: CheckStep): Promise<Mismatch[] | undefined> {
  const c = step.check;
  const cm = await ctx.kube.getObject({
    apiVersion: "v1",
    kind: "ConfigMap",
    name: c.configMap,
    namespace: c.namespace,
  }, ctx.hooks);
  if (!cm) return undefined;
  const data = (cm.data ?? {}) as Record<string, string>;
  return Object.entries(c.expect).map(([key, want]) => ({ key, got: data[key], want }))
    .filter((d) => d.got !== d.want);
}

export const checkExecutor: Executor<CheckStep, Mismatch[] | undefined, Mismatch[]> = {
  async observe(ctx, step) {
    return await mismatches(ctx, step);
  },

  decide(step, diff): Decision<Mismatch[]> {
    const c = step.check;
    if (diff === undefined) {
      return {
        skip: {
          reason: `Cilium not found (no ConfigMap ${c.namespace}/${c.configMap})`,
          unchanged: false,
        },
      };
    }
    if (diff.length === 0 || c.fix.enabled) return { act: diff };
    const what = diff.map((d) =>
      `${d.key} is ${d.got === undefined ? "unset" : `"${d.got}"`} (want "${d.want}")`
    ).join(", ");
    throw new InputError(
      `Cilium is not configured for ambient: ${what}`,
      `re-run with --fix (or cilium.mode: fix) to upgrade release "${c.fix.release}" with --reuse-values ${
        Object.entries(c.fix.set).map(([k, v]) => `--set ${k}=${v}`).join(" ")
      }`,
    );
  },

  async act(ctx, step, diff) {
    if (diff.length === 0) return "checked";
    const c = step.check;
    const installed = c.fix.chart.type === "repo" || c.fix.chart.type === "oci"
      ? await ctx.kube.installedChartVersion(c.fix.release, c.namespace, ctx.hooks)
      : undefined;
    await ctx.kube.exec(
      helmReuseValuesArgv({
        release: c.fix.release,
        namespace: c.namespace,
        chart: c.fix.chart,
        installedVersion: installed,
        set: c.fix.set,
        timeoutSeconds: timeoutSeconds(ctx),
        target: ctx.kube.target,
      }),
      ctx.hooks,
    );
    const after = await mismatches(ctx, step);
    if (after && after.length > 0) {
      throw new Error(
        `Cilium still not configured for ambient after the upgrade: ${
          after.map((d) => d.key).join(", ")
        }`,
      );
    }
    // the agents read cilium-config at start: restart them and wait
    const ds = { apiVersion: "apps/v1", kind: "DaemonSet", name: "cilium", namespace: c.namespace };
    if (await ctx.kube.getObject(ds, ctx.hooks)) {
      await ctx.kube.exec(
        ctx.kube.kubectlArgv(
          "rollout",
          "restart",
          "daemonset/cilium",
          `--namespace=${c.namespace}`,
        ),
        ctx.hooks,
      );
      await waitReady(ctx.kube, [ds], ctx.waitOptions());
    }
    return "fixed";
  },

  down() {
    return Promise.resolve(unchanged("nothing to undo"));
  },
};
