/**
 * Before the first change, the releases a run would change are read from
 * their release Secrets: one that Flux manages is never touched (exit 2);
 * `down` refuses to uninstall a release whose manifest holds a CRD without
 * `helm.sh/resource-policy: keep` (helm would delete it, and with it every
 * custom resource of its kind) unless `--purge-crds` was given. `down` also
 * learns here which CRDs the stack brought, while the releases still exist.
 */
import { InputError } from "../errors.ts";
import type { Kube, ReleaseState } from "../kube/kube.ts";
import { fingerprint } from "../plan/fingerprint.ts";
import type { Plan } from "../plan/plan.ts";
import type { Prepared, StepSettings } from "./executor.ts";
import { applyContent } from "./manifest.ts";
import { crdsOfGoneRelease, SYSTEM } from "./purge.ts";
import { crdsOf, fluxOwner, readRelease, type ReleaseCrd } from "./release_manifest.ts";

export interface GuardInput {
  kube: Kube;
  releases: Map<string, ReleaseState>;
  settings: StepSettings;
  prepared: Prepared;
  signal?: AbortSignal;
}

/** The existing releases a plan would change: `up` skips those unchanged; `down` takes all. */
function releasesToChange(plan: Plan, input: GuardInput, down: boolean): ReleaseState[] {
  const out: ReleaseState[] = [];
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind === "helm-release") {
        const rel = input.releases.get(`${step.namespace}/${step.release}`);
        if (!rel) continue;
        const same = !input.settings.force && rel.status === "deployed" &&
          rel.fingerprint === fingerprint(step);
        if (down || !same) out.push(rel);
      } else if (step.kind === "check" && step.check.fix.enabled && !down) {
        const rel = input.releases.get(`${step.check.namespace}/${step.check.fix.release}`);
        if (rel) out.push(rel);
      }
    }
  }
  return out;
}

function refuseFlux(rel: ReleaseState, owner: string): never {
  const [ns, name] = owner.split("/");
  throw new InputError(
    `Cannot change release "${rel.namespace}/${rel.name}": it is managed by Flux${
      name !== "?" ? ` (HelmRelease ${owner})` : ""
    }, and meshup never changes what Flux manages`,
    name !== "?"
      ? `change it through Flux: kubectl get helmreleases.helm.toolkit.fluxcd.io ${name} -n ${ns} -o yaml`
      : "change it through Flux: kubectl get helmreleases.helm.toolkit.fluxcd.io -A",
  );
}

/** `up`: refuses (exit 2, nothing applied) when a release it would change is Flux's. */
export async function guardUp(plan: Plan, input: GuardInput): Promise<void> {
  const rels = releasesToChange(plan, input, false);
  await Promise.all(rels.map(async (rel) => {
    const content = await readRelease(input.kube, rel, { signal: input.signal });
    const owner = fluxOwner(content, rel.labels);
    if (owner) refuseFlux(rel, owner);
  }));
}

/** The CRDs the stack brought: from its releases (keep-policy or `crds/`) and its CRD manifests. */
export interface DownInventory {
  crds: ReleaseCrd[];
  /** namespaces that `--purge-crds` deletes once their releases are gone */
  namespaces: string[];
}

/**
 * `down`: refuses (exit 2, nothing removed) a Flux release, or one whose
 * uninstall would delete a CRD, unless `--purge-crds`; returns the stack's CRDs.
 */
export async function guardDown(plan: Plan, input: GuardInput): Promise<DownInventory> {
  const rels = releasesToChange(plan, input, true);
  const read = await Promise.all(
    rels.map(async (rel): Promise<{ rel: ReleaseState; crds: ReleaseCrd[] }> => {
      const content = await readRelease(input.kube, rel, { signal: input.signal });
      const owner = fluxOwner(content, rel.labels);
      if (owner) refuseFlux(rel, owner);
      return { rel, crds: content?.crds ?? [] };
    }),
  );
  if (!input.settings.purgeCrds) {
    for (const { rel, crds } of read) {
      const lost = crds.filter((c) => !c.keep && !c.crdsFolder);
      if (lost.length === 0) continue;
      throw new InputError(
        `Cannot uninstall release "${rel.namespace}/${rel.name}": it holds CRD ${
          lost.map((c) => `"${c.name}"`).join(", ")
        } without "helm.sh/resource-policy: keep", so helm would delete ${
          lost.length > 1 ? "them" : "it"
        } and every custom resource of ${lost.length > 1 ? "their kinds" : "its kind"}`,
        "to remove the CRDs and their custom resources too, run: deno task down --yes --purge-crds",
      );
    }
  }
  const crds = new Map<string, ReleaseCrd>();
  for (const c of read.flatMap((r) => r.crds)) crds.set(c.name, c);
  if (input.settings.purgeCrds) {
    // releases an earlier down removed: their kept CRDs still name them
    for (const task of plan.tasks) {
      for (const step of task.steps) {
        if (step.kind !== "helm-release") continue;
        if (input.releases.has(`${step.namespace}/${step.release}`)) continue;
        const live = await crdsOfGoneRelease(input.kube, {
          name: step.release,
          namespace: step.namespace,
        }, { signal: input.signal });
        for (const c of crdsOf(live)) crds.set(c.name, c);
      }
    }
  }
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind !== "apply" || !step.crds) continue;
      for (const c of crdsOf(applyContent(step, input.prepared).objects)) crds.set(c.name, c);
    }
  }
  const namespaces = new Set<string>();
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind === "helm-release" && step.createNamespace && !SYSTEM.has(step.namespace)) {
        namespaces.add(step.namespace);
      }
    }
  }
  return { crds: [...crds.values()], namespaces: [...namespaces] };
}
