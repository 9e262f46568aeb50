/**
 * `plan`: the plan as text or JSON. When the in-process client serves the
 * context and the cluster answers within a short deadline, the text also
 * says what the run would prune and which releases it would upgrade; the
 * plan never starts a process and never waits long for a cluster.
 */
import { connect } from "../kube/connect.ts";
import type { Kube } from "../kube/kube.ts";
import { describePlan } from "../plan/describe.ts";
import type { Plan } from "../plan/plan.ts";
import { isEmpty, planInventory, pruneCandidates, readInventories } from "../run/inventory.ts";
import { releaseChange, releaseChangeText } from "../run/release_change.ts";
import { objectName } from "../output/diff_view.ts";
import { Redactor } from "../output/redact.ts";
import type { ProcessRunner } from "../kube/process.ts";

/** How long `plan` waits for the cluster before it describes the plan alone. */
const CLUSTER_READ_MS = 3_000;

export async function planText(
  plan: Plan,
  options: { env: Record<string, string | undefined>; proc: ProcessRunner; context?: string },
): Promise<string> {
  let connection;
  try {
    connection = await connect({
      proc: options.proc,
      redactor: new Redactor(),
      ...(options.context ? { context: options.context } : {}),
      env: options.env,
    });
  } catch {
    return describePlan(plan, { note: "(the cluster was not read: no usable kubeconfig)" });
  }
  try {
    if (!connection.kube.api) {
      return describePlan(plan, { note: "(the cluster was not read; `deno task diff` reads it)" });
    }
    const read = await clusterFacts(plan, connection.kube).catch((e: Error) => e);
    if (read instanceof Error) {
      return describePlan(plan, {
        note: `(the cluster was not read: ${read.message.split("\n")[0]})`,
      });
    }
    return describePlan(plan, {
      ...read,
      note:
        `(read from context "${connection.context}": releases installed and the last inventories)`,
    });
  } finally {
    connection.close();
  }
}

async function clusterFacts(
  plan: Plan,
  kube: Kube,
): Promise<{ prune: Map<string, string[]>; releases: Map<string, string> }> {
  const signal = AbortSignal.timeout(CLUSTER_READ_MS);
  const [inventories, installed] = await Promise.all([
    readInventories(kube, { signal }),
    kube.releases({ signal }),
  ]);
  const releases = new Map<string, string>();
  const prune = new Map<string, string[]>();
  // the plan does not fetch remote manifests: their steps' objects are not compared
  const offline = { remote: new Map<string, string>(), secrets: new Map<string, string>() };
  for (const task of plan.tasks) {
    const remote = new Set(
      task.steps.filter((s) => s.kind === "apply" && s.remote.length > 0).map((s) => s.id),
    );
    for (const step of task.steps) {
      if (step.kind !== "helm-release") continue;
      const change = releaseChange(
        installed.get(`${step.namespace}/${step.release}`)?.chartVersion,
        step,
      );
      if (change.kind === "upgrade") {
        releases.set(`${task.id}/${step.id}`, releaseChangeText(change, step.release));
      }
    }
    const last = inventories.get(task.id);
    if (!last) continue;
    const gone = pruneCandidates(last, planInventory(task, offline));
    if (isEmpty(gone)) continue;
    const names = [
      ...gone.objects.filter((o) => !remote.has(o.step)).map((o) => objectName(o)),
      ...gone.labels.map((l) => `label ${l.key} on ${objectName(l.target)}`),
      ...gone.releases.map((r) => `helm.sh/Release/${r.namespace}/${r.name}`),
    ];
    if (names.length) prune.set(task.id, names.map((n) => `${n} (if still meshup's)`));
  }
  return { prune, releases };
}
