/** The CLI's process runner and kube context rules, shared by runs and checks. */
import { InputError } from "../errors.ts";
import type { Kube } from "../kube/kube.ts";
import { DenoProcessRunner, type ProcessRunner } from "../kube/process.ts";
import type { MainOptions } from "./options.ts";

/** The injected runner, or kubectl and helm from MESHUP_* or PATH; `withoutEnv` never reaches them. */
export function processRunner(
  env: Record<string, string | undefined>,
  options: MainOptions,
  withoutEnv: readonly string[] = [],
): ProcessRunner {
  return options.proc ?? new DenoProcessRunner({
    binaries: { kubectl: env.MESHUP_KUBECTL ?? "kubectl", helm: env.MESHUP_HELM ?? "helm" },
    withoutEnv,
  });
}

/** Refuses (exit 2) a context other than the one the config pins. */
export function refuseUnpinnedContext(context: string, pinned: string | undefined): void {
  if (!pinned || context === pinned) return;
  throw new InputError(
    `Refusing to run against context "${context}": the config pins "${pinned}"`,
    `switch with: kubectl config use-context ${pinned} (or pass --context ${context} to override)`,
  );
}

/** The context that will be used and its API server, from kubeconfig. */
export async function resolveContext(
  kube: Kube,
  o: { context?: string; onCommand(argv: string[]): void },
): Promise<{ context: string; server: string }> {
  const context = o.context;
  const argv = [
    "kubectl",
    "config",
    "view",
    "--minify",
    "-o",
    "json",
    ...(context ? [`--context=${context}`] : []),
  ];
  o.onCommand(argv);
  const r = await kube.proc.run(argv);
  const view = r.code === 0 ? JSON.parse(r.stdout || "{}") : {};
  const name: string | undefined = view.contexts?.[0]?.name ?? view["current-context"];
  if (!name) {
    throw new InputError(
      context
        ? `Cannot use kube context "${context}": ${r.stderr.trim() || "not found"}`
        : "No kube context is set",
      "check KUBECONFIG and kubectl config get-contexts; pass --context NAME",
    );
  }
  return { context: name, server: view.clusters?.[0]?.cluster?.server ?? "unknown" };
}
