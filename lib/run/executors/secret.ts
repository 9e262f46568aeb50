/**
 * `secret`: a Secret whose values come from the environment at run time.
 * With the API client it is applied in process, so no child process ever
 * sees the values; without it, they travel on kubectl's stdin, never on
 * argv. The fingerprint holds only their digest.
 */
import { createHash } from "node:crypto";
import { kubectlApplyArgv } from "../../kube/argv.ts";
import type { Json } from "../../kube/kube.ts";
import { fingerprint, FINGERPRINT_KEY } from "../../plan/fingerprint.ts";
import type { ObjectRef, SecretStep } from "../../plan/plan.ts";
import type { Executor, StepContext } from "../executor.ts";
import { unchanged } from "../executor.ts";
import { annotationsOf } from "../manifest.ts";
import { objectName } from "../../output/diff_view.ts";
import { deleteExisting } from "./delete.ts";

interface Observed {
  fp: string;
  values: (readonly [string, string])[];
  live?: Json;
}

function refOf(step: SecretStep): ObjectRef {
  return { apiVersion: "v1", kind: "Secret", name: step.name, namespace: step.namespace };
}

function valuesOf(ctx: StepContext, step: SecretStep): (readonly [string, string])[] {
  return Object.entries(step.fromEnv).map(([k, env]) =>
    [k, ctx.prepared.secrets.get(env) ?? ""] as const
  );
}

export const secretExecutor: Executor<SecretStep, Observed, Observed> = {
  async observe(ctx, step) {
    const values = valuesOf(ctx, step);
    const digest = createHash("sha256").update(values.map(([k, v]) => `${k}=${v}`).join("\0"))
      .digest("hex");
    const fp = fingerprint(step, [digest]);
    if (ctx.settings.force) return { fp, values };
    return { fp, values, live: await ctx.kube.getObject(refOf(step), ctx.hooks) };
  },

  decide(_step, observed, settings) {
    if (
      !settings.force && observed.live &&
      annotationsOf(observed.live)[FINGERPRINT_KEY] === observed.fp
    ) {
      return unchanged(`unchanged (fingerprint ${observed.fp})`);
    }
    return { act: observed };
  },

  async act(ctx, step, { fp, values }) {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: step.name,
        namespace: step.namespace,
        annotations: { [FINGERPRINT_KEY]: fp },
      },
      type: "Opaque",
      data: Object.fromEntries(
        values.map(([k, v]) => [k, btoa(String.fromCharCode(...new TextEncoder().encode(v)))]),
      ),
    };
    const argv = kubectlApplyArgv("-", { target: ctx.kube.target });
    if (ctx.kube.api) {
      await ctx.kube.applyObjects([secret], { ...ctx.hooks, argv, refs: [refOf(step)] });
    } else {
      await ctx.kube.exec(argv, { ...ctx.hooks, stdin: JSON.stringify(secret) });
    }
    return "created";
  },

  async down(ctx, step) {
    return await deleteExisting(ctx, [refOf(step)]);
  },

  explain(_ctx, step, { live }, decision) {
    if ("skip" in decision) return Promise.resolve([]);
    // which keys, never their values
    const fields = Object.keys(step.fromEnv).map((k) => `data.${k}`).sort();
    return Promise.resolve([{
      kind: live ? "update" : "install",
      object: objectName(refOf(step)),
      fields,
    }]);
  },
};
