/**
 * Cilium `--fix`: `helm upgrade --reuse-values` of the existing Cilium
 * release, labelled with the revision it creates so that a revision it
 * leaves `pending-*` (an interrupted run, a lost status write) is known as
 * ours. Before every attempt such a revision is dropped, so a transient
 * failure is retried instead of meeting helm's "another operation is in
 * progress" until the retries run out.
 */
import { helmReuseValuesArgv } from "../kube/argv.ts";
import type { ReleaseState } from "../kube/kube.ts";
import { CommandError, retry, transientCommandError } from "../kube/retry.ts";
import type { CheckStep } from "../plan/plan.ts";
import { type StepContext, timeoutSeconds } from "./executor.ts";
import { dropRevision, FIX_REVISION_LABEL, pendingFromOurFix } from "./release_repair.ts";

/** Installed chart version of a release (`helm list`), for `--reuse-values` upgrades. */
async function installedChartVersion(
  ctx: StepContext,
  release: string,
  namespace: string,
): Promise<string | undefined> {
  const escaped = release.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const r = await ctx.kube.exec(
    ctx.kube.helmArgv("list", "--namespace", namespace, "--filter", `^${escaped}$`, "-o", "json"),
    ctx.hooks,
  );
  const list = JSON.parse(r.stdout || "[]") as { name: string; chart: string }[];
  const chart = list.find((x) => x.name === release)?.chart;
  const m = chart ? /-(v?\d+\.\d+\.\d+[^\s]*)$/.exec(chart) : null;
  return m?.[1];
}

/** helm exited 0 but the revision is still pending: its status write was lost. */
class UnrecordedError extends Error {}

/** Upgrades the Cilium release with the step's `--set` values, repairing our own pending revisions. */
export async function upgradeCilium(ctx: StepContext, step: CheckStep): Promise<void> {
  const c = step.check;
  const key = `${c.namespace}/${c.fix.release}`;
  const installed = c.fix.chart.type === "repo" || c.fix.chart.type === "oci"
    ? await installedChartVersion(ctx, c.fix.release, c.namespace)
    : undefined;
  const read = async (): Promise<ReleaseState | undefined> => {
    const rel = (await ctx.kube.releases(ctx.hooks)).get(key);
    if (rel) ctx.releases.set(key, rel);
    else ctx.releases.delete(key);
    return rel;
  };
  await retry(async (attempt) => {
    let rel = attempt === 1 ? ctx.releases.get(key) : await read();
    if (pendingFromOurFix(rel)) {
      await dropRevision(ctx, rel!, rel!.revision);
      rel = await read();
    }
    const argv = helmReuseValuesArgv({
      release: c.fix.release,
      namespace: c.namespace,
      chart: c.fix.chart,
      installedVersion: installed,
      set: c.fix.set,
      labels: { [FIX_REVISION_LABEL]: String((rel?.revision ?? 0) + 1) },
      timeoutSeconds: timeoutSeconds(ctx),
      target: ctx.kube.target,
    });
    // failures come back here, not into exec's own retries: each attempt starts by repairing
    const r = await ctx.kube.exec(argv, { ...ctx.hooks, allowFailure: true });
    if (r.code !== 0) {
      throw new CommandError(ctx.kube.redactor.redactArgv(argv), {
        exitCode: r.code,
        stderr: ctx.kube.redactor.redact(r.stderr),
      });
    }
    const after = await read();
    if (pendingFromOurFix(after)) {
      throw new UnrecordedError(
        `Cannot fix Cilium: release "${key}" stays ${after!.status} (revision ${
          after!.revision
        }): helm could not record the upgrade's result`,
      );
    }
  }, {
    isRetryable: (e) =>
      e instanceof UnrecordedError ? "helm's status write was lost" : transientCommandError(e),
    signal: ctx.hooks.signal,
    onRetry: ctx.hooks.onRetry,
  });
}
