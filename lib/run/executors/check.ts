/**
 * `check`: Cilium's live settings for ambient. A mismatch stops the run
 * with a hint, or with `fix` upgrades the Cilium release with
 * `--reuse-values` (labelled with the revision it creates, so that a
 * revision our interrupted fix left `pending-*` is known as ours and
 * repaired) and restarts its agents. A pending revision someone else left
 * is refused with a command that unsticks it; Cilium is never uninstalled.
 */
import { InputError } from "../../errors.ts";
import type { ReleaseState } from "../../kube/kube.ts";
import type { CheckStep } from "../../plan/plan.ts";
import type { Decision, Executor, StepContext } from "../executor.ts";
import { unchanged } from "../executor.ts";
import { upgradeCilium } from "../cilium_fix.ts";
import { foreignPendingHint, pendingFromOurFix } from "../release_repair.ts";
import { waitReady } from "../wait.ts";
import { releaseName } from "../../output/diff_view.ts";

interface Mismatch {
  key: string;
  got: string | undefined;
  want: string;
}

interface Observed {
  /** undefined without Cilium */
  diff: Mismatch[] | undefined;
  /** the Cilium release's latest revision */
  release: ReleaseState | undefined;
  target: StepContext["kube"]["target"];
}

interface Fix {
  diff: Mismatch[];
  /** the release is pending from our own interrupted fix */
  repair: boolean;
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

function releaseKey(step: CheckStep): string {
  return `${step.check.namespace}/${step.check.fix.release}`;
}

export const checkExecutor: Executor<CheckStep, Observed, Fix> = {
  async observe(ctx, step) {
    return {
      diff: await mismatches(ctx, step),
      release: ctx.releases.get(releaseKey(step)),
      target: ctx.kube.target,
    };
  },

  decide(step, { diff, release, target }): Decision<Fix> {
    const c = step.check;
    if (diff === undefined) {
      return {
        skip: {
          reason: `Cilium not found (no ConfigMap ${c.namespace}/${c.configMap})`,
          unchanged: false,
        },
      };
    }
    const pending = !!release && release.status.startsWith("pending-");
    if (c.fix.enabled && pending && pendingFromOurFix(release)) {
      // our own interrupted fix: drop its revision and upgrade again
      return { act: { diff, repair: true } };
    }
    if (diff.length === 0) return { act: { diff, repair: false } };
    if (c.fix.enabled && pending) {
      throw new InputError(
        `Cannot fix Cilium: release "${releaseKey(step)}" is ${release!.status} (revision ${
          release!.revision
        }) and was not left by meshup`,
        foreignPendingHint(release!, target),
      );
    }
    if (c.fix.enabled) return { act: { diff, repair: false } };
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

  changes(_step, { diff, repair }) {
    return diff.length > 0 || repair;
  },

  async act(ctx, step, { diff, repair }) {
    if (diff.length === 0 && !repair) return "checked";
    const c = step.check;
    await upgradeCilium(ctx, step);
    const after = await mismatches(ctx, step);
    if (after && after.length > 0) {
      throw new Error(
        `Cilium still not configured for ambient after the upgrade: ${
          after.map((d) => d.key).join(", ")
        }`,
      );
    }
    // the agents read cilium-config at start (an interrupted fix may not
    // have restarted them): restart them and wait
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
    return diff.length > 0 ? "fixed" : "repaired";
  },

  down() {
    return Promise.resolve(unchanged("nothing to undo"));
  },

  explain(_ctx, step, _observed, decision) {
    if ("skip" in decision || !this.changes!(step, decision.act)) return Promise.resolve([]);
    const c = step.check;
    const { diff, repair } = decision.act;
    // the fix upgrades Cilium's release with --reuse-values and these settings
    return Promise.resolve([{
      kind: "update",
      object: releaseName(c.namespace, c.fix.release),
      fields: diff.map((d) => `data.${d.key}`),
      note: repair
        ? "its interrupted fix is repaired"
        : `for ambient, in ConfigMap ${c.namespace}/${c.configMap}`,
    }]);
  },
};
