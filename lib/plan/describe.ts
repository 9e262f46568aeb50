/**
 * Human-readable text for `plan`: each task with its deps and steps (release,
 * chart, version, namespace; object kinds and names). Pure strings; the
 * output module prints them.
 */
import type { ChartSource, ObjectRef, Plan, Step, StepGuard } from "./plan.ts";

export interface DescribeOptions {
  /**
   * Per task, what pruning would remove at its end (names such as
   * `networking.istio.io/Gateway/book-info/bookinfo-gateway`): it needs the
   * cluster's last inventories (lib/run/inventory.ts), so it is optional and
   * the plan alone never reads the cluster.
   */
  prune?: ReadonlyMap<string, readonly string[]>;
  /** per `task/step` of a release, what installing it does: `upgrade istiod 1.30.3 → 1.30.4` */
  releases?: ReadonlyMap<string, string>;
  /** a last line about what was (not) read from the cluster */
  note?: string;
}

export function describePlan(plan: Plan, options: DescribeOptions = {}): string {
  const out: string[] = [];
  const steps = plan.tasks.reduce((n, t) => n + t.steps.length, 0);
  out.push(
    `Plan for "${plan.target}": ${plan.tasks.length} tasks, ${steps} steps` +
      (plan.context ? `, context "${plan.context}"` : ", current kube context"),
  );
  for (const task of plan.tasks) {
    out.push("");
    out.push(`${task.id}${task.deps.length ? `  (after ${task.deps.join(", ")})` : ""}`);
    out.push(`  ${task.description}`);
    if (task.steps.length === 0) {
      out.push("  - no steps" + (task.deps.length ? " (aggregate)" : ""));
    }
    task.steps.forEach((s, i) => {
      out.push(...describeStep(s, i + 1));
      const change = options.releases?.get(`${task.id}/${s.id}`);
      if (change) out.push(`       ${change}`);
    });
    const prune = options.prune?.get(task.id) ?? [];
    if (prune.length) {
      out.push(`  ${task.steps.length + 1}. prune (at the end, once the new objects are ready):`);
      for (const name of prune) out.push(`       ${name}`);
    }
  }
  if (options.note) out.push("", options.note);
  return out.join("\n") + "\n";
}

function describeStep(step: Step, n: number): string[] {
  const head = `  ${n}. ${step.kind} ${step.id}: ${step.description}${guard(step.when)}`;
  const lines = [head];
  const more = (s: string): number => lines.push(`       ${s}`);
  switch (step.kind) {
    case "helm-release":
      more(`release ${step.namespace}/${step.release}, chart ${chartText(step.chart)}`);
      more(`values ${step.values.map((v) => v.source).join(", ") || "(none)"}`);
      if (step.workloads.length) more(`brings up ${step.workloads.map(refText).join(", ")}`);
      break;
    case "apply":
      if (step.objects.length) more(`objects ${step.objects.map(refText).join(", ")}`);
      for (const r of step.remote) more(`fetched at run time: ${r.url}`);
      if (step.crds) more("CRDs: wait until Established");
      break;
    case "label":
      more(
        `${refText(step.target)}: ${
          Object.entries(step.labels).map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`)).join(
            ", ",
          )
        }`,
      );
      break;
    case "secret":
      more(
        `Secret ${step.namespace}/${step.name}: ${
          Object.entries(step.fromEnv).map(([k, env]) => `${k} from $${env}`).join(", ")
        }`,
      );
      break;
    case "wait":
      more(`until ready: ${step.objects.map(refText).join(", ")}`);
      break;
    case "check":
      more(
        `ConfigMap ${step.check.namespace}/${step.check.configMap}: ${
          Object.entries(step.check.expect).map(([k, v]) => `${k}="${v}"`).join(", ")
        }`,
      );
      if (step.check.fix.enabled) {
        more(
          `fix: helm upgrade ${step.check.fix.release} --reuse-values ${
            Object.entries(step.check.fix.set).map(([k, v]) => `--set ${k}=${v}`).join(" ")
          }`,
        );
      }
      break;
    case "delete":
      more(`objects ${step.objects.map(refText).join(", ")}`);
      break;
  }
  return lines;
}

function guard(when: StepGuard | undefined): string {
  if (!when) return "";
  return when.type === "crd-exists"
    ? `  [only if CRD ${when.crd} exists]`
    : "  [only if default-deny policies exist]";
}

export function chartText(chart: ChartSource): string {
  switch (chart.type) {
    case "repo":
      return `${chart.chart} ${chart.version || "(installed version)"} from ${chart.repo}`;
    case "oci":
      return `${chart.ref} ${chart.version || "(installed version)"}`;
    case "dir":
      return `folder ${chart.path}`;
    case "tgz":
      return `package ${chart.path}`;
  }
}

export function refText(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
