/**
 * `render`: one folder per task, one set of files per step: the rendered
 * values and manifests exactly as applied, and the command lines `run` will
 * use. Deterministic byte for byte; secret values are never known here.
 */
import { stringify } from "yaml";
import {
  annotateManifest,
  helmReuseValuesArgv,
  helmUpgradeArgv,
  kubectlApplyArgv,
  kubectlLabelArgv,
  type KubeTarget,
  shellQuote,
} from "../kube/argv.ts";
import { fingerprint } from "./fingerprint.ts";
import type { Plan, Step } from "./plan.ts";

export interface RenderedEntry {
  /** path relative to the output folder */
  path: string;
  content: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

/** Placeholder written where a secret's value would be. */
export function secretPlaceholder(env: string): string {
  return `<redacted: read from $${env} at run time>`;
}

export function renderPlan(
  plan: Plan,
  options: { timeoutSeconds?: number; target?: KubeTarget } = {},
): RenderedEntry[] {
  const timeout = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const target = options.target ?? (plan.context ? { context: plan.context } : {});
  const entries: RenderedEntry[] = [];
  plan.tasks.forEach((task, ti) => {
    const dir = `${pad(ti + 1)}-${task.id.replaceAll(":", "-")}`;
    task.steps.forEach((step, si) => {
      const base = `${dir}/${pad(si + 1)}-${step.id}`;
      const fp = fingerprint(step);
      const { files, commands } = renderStep(step, { base, fp, task: task.id, timeout, target });
      entries.push(...files);
      const header = [
        `# ${task.id} / ${step.id}: ${step.description}`,
        `# fingerprint ${fp}`,
        ...(step.when ? [`# only if ${JSON.stringify(step.when)}`] : []),
      ];
      entries.push({ path: `${base}.sh`, content: [...header, ...commands].join("\n") + "\n" });
    });
  });
  entries.push({ path: "plan.json", content: JSON.stringify(plan, null, 2) + "\n" });
  return entries;
}

function renderStep(
  step: Step,
  o: { base: string; fp: string; task: string; timeout: number; target: KubeTarget },
): { files: RenderedEntry[]; commands: string[] } {
  const name = (suffix: string): string => `${o.base}.${suffix}`;
  const leaf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);
  switch (step.kind) {
    case "helm-release": {
      const files = step.values.map((v, i) => ({
        path: name(step.values.length > 1 ? `values-${i + 1}.yaml` : "values.yaml"),
        content: `# from ${v.source}\n${v.content}`,
      }));
      const argv = helmUpgradeArgv(step, {
        valuesFiles: files.map((f) => leaf(f.path)),
        fingerprint: o.fp,
        task: o.task,
        timeoutSeconds: step.timeoutSeconds ?? o.timeout,
        target: o.target,
      });
      return { files, commands: [shellQuote(argv)] };
    }
    case "apply": {
      const files: RenderedEntry[] = [];
      const commands: string[] = [];
      if (step.manifests.length) {
        const file = name("yaml");
        files.push({
          path: file,
          content: step.manifests.map((m) =>
            `# from ${m.source}\n${annotateManifest(m.content, o.fp)}`
          ).join("---\n"),
        });
        commands.push(shellQuote(kubectlApplyArgv(leaf(file), { target: o.target })));
      }
      for (const r of step.remote) {
        commands.push(`# fetched at run time from ${r.url}, annotated with the fingerprint, then:`);
        commands.push(
          shellQuote(kubectlApplyArgv("-", { target: o.target, namespace: step.defaultNamespace })),
        );
      }
      if (step.crds) commands.push("# then: wait until every CRD is Established");
      else commands.push("# then: wait until every applied workload is ready (kstatus)");
      return { files, commands };
    }
    case "label":
      return {
        files: [],
        commands: [shellQuote(kubectlLabelArgv(step.target, step.labels, { target: o.target }))],
      };
    case "secret": {
      const secret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: step.name, namespace: step.namespace },
        type: "Opaque",
        stringData: Object.fromEntries(
          Object.entries(step.fromEnv).map(([k, env]) => [k, secretPlaceholder(env)]),
        ),
      };
      return {
        files: [{ path: name("yaml"), content: stringify(secret, { lineWidth: 0 }) }],
        commands: [
          "# the Secret is built in memory from the environment and passed on stdin, never on argv:",
          shellQuote(kubectlApplyArgv("-", { target: o.target })),
        ],
      };
    }
    case "wait":
      return {
        files: [],
        commands: step.objects.map((r) =>
          `# wait (watch, kstatus) for ${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`
        ),
      };
    case "check": {
      const c = step.check;
      const commands = [
        `# read ConfigMap ${c.namespace}/${c.configMap} and expect ${
          Object.entries(c.expect).map(([k, v]) => `${k}="${v}"`).join(", ")
        }`,
      ];
      if (c.fix.enabled) {
        commands.push("# when it differs:");
        commands.push(shellQuote(helmReuseValuesArgv({
          release: c.fix.release,
          namespace: c.namespace,
          chart: c.fix.chart,
          installedVersion: "<installed version>",
          set: c.fix.set,
          timeoutSeconds: step.timeoutSeconds ?? o.timeout,
          target: o.target,
        })));
      }
      return { files: [], commands };
    }
    case "delete":
      return {
        files: [],
        commands: [`# delete ${step.objects.map((r) => `${r.kind}/${r.name}`).join(", ")}`],
      };
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
