/**
 * Each task's inventory: what its steps applied (objects by API group,
 * kind, namespace and name; the labels it set; its Helm releases),
 * recorded in the cluster as one ConfigMap per task in `kube-system`
 * (`meshup-inventory-<task>`, labelled `meshup.dev/inventory`), written in
 * process after the task. What the last inventory holds and the new plan
 * does not is what pruning removes (`pruneCandidates`); `diff` and `plan`
 * read the same inventories (`readInventories`).
 */
import { canonical, FIELD_MANAGER } from "../plan/fingerprint.ts";
import type { CommandHooks, Json, Kube } from "../kube/kube.ts";
import { kubectlApplyArgv, labelValue } from "../kube/argv.ts";
import type { ObjectRef, PlannedTask } from "../plan/plan.ts";
import type { Prepared } from "./executor.ts";
import { applyContent } from "./manifest.ts";

export const INVENTORY_NAMESPACE = "kube-system";
export const INVENTORY_LABEL = "meshup.dev/inventory";
const KEY = "inventory";

/** An object a step applied. */
export interface InventoryObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** the step that applied it */
  step: string;
}

/** A label a step set on an object (not the object itself: that is another step's). */
export interface InventoryLabel {
  target: ObjectRef;
  key: string;
  value: string;
  step: string;
}

/** A Helm release a step installed. */
export interface InventoryRelease {
  namespace: string;
  name: string;
  step: string;
}

export interface Inventory {
  task: string;
  objects: InventoryObject[];
  labels: InventoryLabel[];
  releases: InventoryRelease[];
}

/** The ConfigMap name of a task's inventory (`istio:istiod` -> `meshup-inventory-istio-istiod`). */
export function inventoryName(task: string): string {
  const safe = task.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");
  return `meshup-inventory-${safe}`.slice(0, 253);
}

/** What a task's plan applies, as an inventory (remote manifests as `prepare` read them). */
export function planInventory(task: PlannedTask, prepared: Prepared): Inventory {
  const inv: Inventory = { task: task.id, objects: [], labels: [], releases: [] };
  for (const step of task.steps) {
    switch (step.kind) {
      case "apply":
        for (const ref of applyContent(step, prepared).refs) {
          inv.objects.push({
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            ...(ref.namespace ? { namespace: ref.namespace } : {}),
            name: ref.name,
            step: step.id,
          });
        }
        break;
      case "label":
        for (const [key, value] of Object.entries(step.labels)) {
          if (value === null) continue;
          const { madeBy: _, ...target } = step.target;
          inv.labels.push({ target, key, value, step: step.id });
        }
        break;
      case "helm-release":
        inv.releases.push({ namespace: step.namespace, name: step.release, step: step.id });
        break;
    }
  }
  return inv;
}

/** `group/Kind/namespace/name`: an object's identity (a kind exists in several groups). */
export function objectKey(
  o: Pick<ObjectRef, "apiVersion" | "kind" | "namespace" | "name">,
): string {
  const slash = o.apiVersion.lastIndexOf("/");
  const group = slash < 0 ? "" : o.apiVersion.slice(0, slash);
  return `${group}/${o.kind}/${o.namespace ?? ""}/${o.name}`;
}

function labelKey(l: InventoryLabel): string {
  return `${objectKey(l.target)}#${l.key}`;
}

/**
 * What the last inventory holds and the planned one does not: the objects,
 * labels and releases to remove. Never a CustomResourceDefinition (that is
 * `down --purge-crds`' job) nor a Namespace (it may hold what is not ours);
 * whether the live object is still meshup's is checked when pruning.
 */
export function pruneCandidates(last: Inventory, planned: Inventory): Inventory {
  const objects = new Set(planned.objects.map(objectKey));
  const labels = new Set(planned.labels.map(labelKey));
  const releases = new Set(planned.releases.map((r) => `${r.namespace}/${r.name}`));
  return {
    task: last.task,
    objects: last.objects.filter((o) =>
      !objects.has(objectKey(o)) && o.kind !== "CustomResourceDefinition" &&
      o.kind !== "Namespace"
    ),
    labels: last.labels.filter((l) => !labels.has(labelKey(l))),
    releases: last.releases.filter((r) => !releases.has(`${r.namespace}/${r.name}`)),
  };
}

/** True when an inventory holds nothing. */
export function isEmpty(inv: Inventory): boolean {
  return inv.objects.length + inv.labels.length + inv.releases.length === 0;
}

/** True when two inventories hold the same entries. */
export function sameInventory(a: Inventory | undefined, b: Inventory): boolean {
  return !!a && canonical(a) === canonical(b);
}

/** The ConfigMap that records an inventory. */
export function inventoryConfigMap(inv: Inventory): Json {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: inventoryName(inv.task),
      namespace: INVENTORY_NAMESPACE,
      labels: {
        "app.kubernetes.io/managed-by": "meshup",
        [INVENTORY_LABEL]: labelValue(inv.task),
      },
    },
    data: { task: inv.task, [KEY]: JSON.stringify(inv) },
  };
}

/** The inventory a ConfigMap records; undefined when it holds none that can be read. */
export function parseInventory(cm: Json): Inventory | undefined {
  const data = (cm.data ?? {}) as Record<string, string>;
  try {
    const inv = JSON.parse(data[KEY] ?? "") as Inventory;
    if (typeof inv.task !== "string") return undefined;
    return {
      task: inv.task,
      objects: Array.isArray(inv.objects) ? inv.objects : [],
      labels: Array.isArray(inv.labels) ? inv.labels : [],
      releases: Array.isArray(inv.releases) ? inv.releases : [],
    };
  } catch {
    return undefined;
  }
}

/** Every task's last inventory, by task id: one list of ConfigMaps (in process when it can). */
export async function readInventories(
  kube: Kube,
  hooks: CommandHooks = {},
): Promise<Map<string, Inventory>> {
  const items = await kube.list({
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: INVENTORY_NAMESPACE,
    labelSelector: INVENTORY_LABEL,
  }, hooks);
  const out = new Map<string, Inventory>();
  for (const item of items) {
    const inv = parseInventory(item);
    if (inv) out.set(inv.task, inv);
  }
  return out;
}

/** Records a task's inventory: in process (server-side apply), else `kubectl apply -f -`. */
export async function writeInventory(
  kube: Kube,
  inv: Inventory,
  hooks: CommandHooks = {},
): Promise<void> {
  const cm = inventoryConfigMap(inv);
  if (kube.api) {
    await kube.api.apply(cm, {
      fieldManager: FIELD_MANAGER,
      force: true,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    return;
  }
  await kube.exec(kubectlApplyArgv("-", { target: kube.target }), {
    ...hooks,
    stdin: JSON.stringify(cm),
  });
}

/** Removes a task's inventory (after `down` removed what it lists). */
export async function dropInventory(
  kube: Kube,
  task: string,
  hooks: CommandHooks = {},
): Promise<void> {
  const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: INVENTORY_NAMESPACE };
  const name = inventoryName(task);
  if (kube.api) {
    await kube.api.delete({ ...ref, name }, hooks.signal ? { signal: hooks.signal } : {});
    return;
  }
  await kube.exec(
    kube.kubectlArgv(
      "delete",
      "configmap",
      name,
      `--namespace=${INVENTORY_NAMESPACE}`,
      "--ignore-not-found",
    ),
    hooks,
  );
}
