/**
 * Pruning, at the end of a task whose steps all succeeded (so the new
 * objects are ready first): what the task's last inventory holds and its
 * plan no longer does is removed, in a safe order, then the new inventory
 * is recorded.
 *
 * Order: labels first (`istio.io/use-waypoint` before the waypoint it
 * names), then objects, newest first, deleted with a wait until they are
 * gone, finalisers included (the Kiali CR, finalised by its operator), then
 * the task's releases the plan no longer has (the operator, after its CR).
 * Only what meshup made: an object must still carry meshup's fingerprint
 * annotation and field manager, a label the value meshup set, a release
 * meshup's fingerprint and this task's label. Never a CRD or a Namespace.
 */
import {
  helmUninstallArgv,
  kubectlDeleteArgv,
  kubectlLabelArgv,
  labelValue,
  TASK_LABEL,
} from "../kube/argv.ts";
import type { Json } from "../kube/kube.ts";
import { objectName, releaseName } from "../output/diff_view.ts";
import { FIELD_MANAGER, FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import type { DeleteStep, PlannedTask } from "../plan/plan.ts";
import { type StepContext, timeoutSeconds } from "./executor.ts";
import { withFinalizers } from "./finalizers.ts";
import {
  dropInventory,
  type Inventory,
  type InventoryLabel,
  type InventoryObject,
  type InventoryRelease,
  isEmpty,
  planInventory,
  pruneCandidates,
  readInventories,
  sameInventory,
  writeInventory,
} from "./inventory.ts";
import type { RunServices } from "./services.ts";

const lastRead = new WeakMap<RunServices, Promise<Map<string, Inventory>>>();

/** Every task's last inventory, read once per run (in process when it can). */
export function lastInventories(services: RunServices): Promise<Map<string, Inventory>> {
  let read = lastRead.get(services);
  if (!read) {
    read = readInventories(services.kube, { signal: services.signal });
    lastRead.set(services, read);
  }
  return read;
}

/** Whether a live object is meshup's: our fingerprint annotation and our field manager. */
export function madeByMeshup(live: Json): boolean {
  const meta = (live.metadata ?? {}) as Json;
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  const managers = (Array.isArray(meta.managedFields) ? meta.managedFields : []) as Json[];
  return FINGERPRINT_KEY in annotations && managers.some((m) => m.manager === FIELD_MANAGER);
}

interface Placement {
  signal?: AbortSignal;
  background?: boolean;
}

/**
 * Prunes what the task's last inventory has and its plan does not, then
 * records the plan's inventory; emits a `prune` step when it removes
 * anything. Returns how many things it removed; throws when a removal fails.
 */
export async function pruneTask(
  services: RunServices,
  task: PlannedTask,
  placement: Placement,
): Promise<number> {
  const last = (await lastInventories(services)).get(task.id);
  const planned = planInventory(task, services.prepared);
  const candidates = last ? pruneCandidates(last, planned) : undefined;
  const step: DeleteStep = {
    kind: "delete",
    id: "prune",
    description: "remove what an earlier plan applied and this one does not",
    objects: (candidates?.objects ?? []).map(({ step: _, ...ref }) => ref),
  };
  const ctx = services.forStep(task, step, placement);
  let removed: string[] = [];
  if (candidates && !isEmpty(candidates)) {
    const t0 = services.now();
    const todo = await owned(ctx, candidates);
    if (todo.objects.length + todo.labels.length + todo.releases.length > 0) {
      services.emit({
        type: "step-start",
        task: task.id,
        step: step.id,
        kind: step.kind,
        description: step.description,
      });
      await ctx.beforeChange();
      removed = await remove(ctx, todo);
      services.emit({
        type: "step-done",
        task: task.id,
        step: step.id,
        action: "pruned",
        durationMs: services.now() - t0,
        objects: removed,
      });
    }
  }
  if (!sameInventory(last, planned)) {
    await ctx.beforeChange();
    await writeInventory(services.kube, planned, ctx.hooks);
  }
  return removed.length;
}

/** `down`: the task's inventory goes with what it lists. */
export async function dropTaskInventory(
  services: RunServices,
  task: PlannedTask,
  placement: Placement,
): Promise<void> {
  if (!(await lastInventories(services)).has(task.id)) return;
  const step: DeleteStep = { kind: "delete", id: "inventory", description: "", objects: [] };
  const ctx = services.forStep(task, step, placement);
  await ctx.beforeChange();
  await dropInventory(services.kube, task.id, ctx.hooks);
}

/** What pruning removes: the candidates that are there and meshup's. */
export interface Todo {
  labels: InventoryLabel[];
  objects: InventoryObject[];
  releases: InventoryRelease[];
}

/** The candidates that are there and meshup's (`diff` shows them before a run prunes them). */
export async function owned(ctx: StepContext, c: Inventory): Promise<Todo> {
  const objects = await Promise.all(
    c.objects.map(async (o) => {
      const { step: _, ...ref } = o;
      const live = await ctx.kube.getObject(ref, ctx.hooks);
      return live && madeByMeshup(live) ? [o] : [];
    }),
  );
  const labels = await Promise.all(
    c.labels.map(async (l) => {
      const live = await ctx.kube.getObject(l.target, ctx.hooks);
      const value = ((live?.metadata as Json | undefined)?.labels as Record<string, string>)?.[
        l.key
      ];
      return value === l.value ? [l] : [];
    }),
  );
  const releases = c.releases.filter((r) => {
    const rel = ctx.releases.get(`${r.namespace}/${r.name}`);
    return !!rel?.fingerprint && rel.labels?.[TASK_LABEL] === labelValue(ctx.task.id);
  });
  return { objects: objects.flat(), labels: labels.flat(), releases };
}

/** Removes labels, then objects (newest first, awaited), then releases; returns their names. */
async function remove(ctx: StepContext, todo: Todo): Promise<string[]> {
  const removed: string[] = [];
  for (const l of todo.labels) {
    const labels = { [l.key]: null };
    await ctx.kube.label(l.target, labels, {
      ...ctx.hooks,
      argv: kubectlLabelArgv(l.target, labels, { target: ctx.kube.target }),
    });
    removed.push(`${objectName(l.target)} label ${l.key}`);
  }
  if (todo.objects.length) {
    const objects = [...todo.objects].reverse();
    const refs = objects.map(({ step: _, ...ref }) => ref);
    const content = refs.map((r) =>
      JSON.stringify({
        apiVersion: r.apiVersion,
        kind: r.kind,
        metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
      })
    ).join("\n---\n");
    const file = await ctx.writeRunFile(`${ctx.task.id}-prune.yaml`, content + "\n");
    try {
      // kubectl waits (a watch) until every object is gone, finalisers included
      await ctx.kube.exec(
        kubectlDeleteArgv(file, { target: ctx.kube.target, timeoutSeconds: timeoutSeconds(ctx) }),
        ctx.hooks,
      );
    } catch (e) {
      throw await withFinalizers(ctx, refs, e as Error);
    }
    removed.push(...refs.map(objectName));
  }
  for (const r of todo.releases) {
    await ctx.kube.exec(
      helmUninstallArgv(r.name, {
        namespace: r.namespace,
        timeoutSeconds: timeoutSeconds(ctx),
        target: ctx.kube.target,
      }),
      ctx.hooks,
    );
    ctx.releases.delete(`${r.namespace}/${r.name}`);
    removed.push(releaseName(r.namespace, r.name));
  }
  return removed;
}
