/**
 * The baseline of `deno task bench`: the same stack installed the way the
 * how-to (../shared/reference/istio-ambient-howto.md) does it, one command at
 * a time, each waiting for the last: namespaces with `kubectl create`, each
 * chart with `helm install ... --wait`, manifests with `kubectl apply`,
 * workloads awaited with `kubectl rollout status`.
 *
 * Charts come from the same loopback repository (`--repo URL --version V`)
 * with the values meshup renders for them, and the manifests are the ones
 * meshup renders, so both installs put the same objects in the cluster;
 * only the orchestration differs. Cilium is left out (the how-to does not
 * touch it and the simulator has none) and so are the monitors (no
 * Prometheus Operator CRDs: meshup skips them too).
 *
 * @module
 */
import { chartArgs } from "../../lib/kube/argv.ts";
import type { ApplyStep, HelmReleaseStep, Plan, Step } from "../../lib/plan/plan.ts";
import type { ProcessRunner } from "../../lib/kube/process.ts";

/** A file the script's commands read; written before the clock starts (a user prepares them). */
export interface ScriptFile {
  path: string;
  content: string;
}

export interface HowToScript {
  files: ScriptFile[];
  commands: string[][];
}

/** One command as it ran. */
export interface CommandTiming {
  argv: string[];
  ms: number;
  code: number;
  /** more than 1 when `rollout status` ran before the Deployment existed and was retried */
  attempts: number;
}

function findStep<K extends Step["kind"]>(
  plan: Plan,
  task: string,
  kind: K,
  id?: string,
): Extract<Step, { kind: K }> {
  const step = plan.tasks.find((t) => t.id === task)?.steps.find((s) =>
    s.kind === kind && (id === undefined || s.id === id)
  );
  if (!step) {
    throw new Error(`Cannot build the how-to script: no ${kind} step "${id ?? "*"}" in "${task}"`);
  }
  return step as Extract<Step, { kind: K }>;
}

/**
 * The how-to's command sequence for a plan of `up` (default config).
 * `bookinfoDeployments` are awaited one after another, as a script would.
 */
export function howToScript(
  plan: Plan,
  options: { dir: string; bookinfoDeployments: readonly string[] },
): HowToScript {
  const files: ScriptFile[] = [];
  const file = (name: string, content: string): string => {
    const path = `${options.dir}/${name}`;
    files.push({ path, content });
    return path;
  };
  const install = (step: HelmReleaseStep, ...extra: string[]): string[] => [
    "helm",
    "install",
    step.release,
    ...chartArgs(step.chart),
    "--namespace",
    step.namespace,
    ...step.values.flatMap((v, i) => [
      "--values",
      file(`${step.release}-values-${i + 1}.yaml`, v.content),
    ]),
    ...extra,
    "--wait",
  ];
  const manifest = (step: ApplyStep, name: string): string =>
    file(name, step.manifests.map((m) => m.content).join("---\n"));
  const rollout = (namespace: string, name: string): string[] => [
    "kubectl",
    "rollout",
    "status",
    `deployment/${name}`,
    `--namespace=${namespace}`,
    "--timeout=300s",
  ];

  const base = findStep(plan, "istio:base", "helm-release");
  const cni = findStep(plan, "istio:cni", "helm-release");
  const istiod = findStep(plan, "istio:istiod", "helm-release");
  const ztunnel = findStep(plan, "istio:ztunnel", "helm-release");
  const gateway = findStep(plan, "gateway", "helm-release");
  const tracing = findStep(plan, "telemetry", "apply", "tracing");
  const operator = findStep(plan, "kiali", "helm-release", "operator");
  const cr = findStep(plan, "kiali", "apply", "cr");
  const server = findStep(plan, "kiali", "wait", "server").objects[0];
  const app = findStep(plan, "bookinfo", "apply", "app");
  const route = findStep(plan, "bookinfo", "apply", "route");
  const ambient = findStep(plan, "bookinfo", "label", "ambient");
  const bookinfoNs = app.defaultNamespace ?? ambient.target.name;

  const commands: string[][] = [
    // Istio control plane installation
    ["kubectl", "create", "namespace", base.namespace],
    install(base),
    install(cni, "--set", "profile=ambient"),
    install(istiod, "--set", "profile=ambient"),
    install(ztunnel),
    // Istio Gateway installation
    ["kubectl", "create", "namespace", gateway.namespace],
    install(gateway),
    // Observability: the Telemetry resource
    ["kubectl", "apply", "-f", manifest(tracing, "telemetry.yaml")],
    // Kiali
    ["kubectl", "create", "namespace", operator.namespace],
    install(operator),
    ["kubectl", "apply", "-f", manifest(cr, "kiali-cr.yaml")],
    rollout(server.namespace ?? operator.namespace, server.name),
    // Testing: bookinfo, its gateway route, the namespace enrolled in ambient
    ["kubectl", "create", "namespace", bookinfoNs],
    [
      "kubectl",
      "apply",
      `--namespace=${bookinfoNs}`,
      ...app.remote.flatMap((r) => ["-f", r.url]),
      "-f",
      manifest(route, "bookinfo-gateway.yaml"),
    ],
    [
      "kubectl",
      "label",
      "namespace",
      ambient.target.name,
      ...Object.entries(ambient.labels).map(([k, v]) => `${k}=${v}`),
    ],
    ...options.bookinfoDeployments.map((d) => rollout(bookinfoNs, d)),
  ];
  return { files, commands };
}

/**
 * Runs the script's commands one at a time and times each. Files are
 * written first, outside the clock. A `rollout status` that finds no
 * Deployment yet (the Kiali operator creates it) is retried after 100 ms,
 * as a user would re-run it. Throws on any other failure.
 */
export async function runScript(
  proc: ProcessRunner,
  script: HowToScript,
): Promise<{ ms: number; commands: CommandTiming[] }> {
  for (const f of script.files) await Deno.writeTextFile(f.path, f.content);
  const timings: CommandTiming[] = [];
  const t0 = performance.now();
  for (const argv of script.commands) {
    const start = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      const r = await proc.run(argv);
      if (r.code === 0) {
        timings.push({ argv, ms: performance.now() - start, code: 0, attempts });
        break;
      }
      const retry = argv[1] === "rollout" && /not found/i.test(r.stderr) && attempts < 50;
      if (!retry) {
        throw new Error(
          `Cannot run the how-to script: "${argv.join(" ")}" exited ${r.code}: ${
            r.stderr.trim().split("\n").slice(-5).join("\n")
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { ms: performance.now() - t0, commands: timings };
}
