/**
 * Operators the simulator can stand in for. `modelKialiOperator` does what
 * kiali-operator does that the installer relies on: for each Kiali CR it
 * creates the Kiali server Deployment `kiali` in the CR's namespace, owned
 * by the CR (so deleting the CR removes it). The simulator's controllers
 * then make that Deployment ready like any other.
 *
 * Like the real operator it puts a finalizer (`kiali.io/finalizer`) on each
 * CR and, when the CR is deleted, removes the server and then the finalizer,
 * a little later, and only while its own Deployment `kiali-operator` exists:
 * a CR deleted after the operator is gone stays Terminating for good.
 */
import type { Sim } from "./mod.ts";

export const KIALI_FINALIZER = "kiali.io/finalizer";

/** How long the modelled operator takes to clean up after a deleted CR. */
const FINALIZE_AFTER_MS = 150;

export function modelKialiOperator(sim: Sim): () => void {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const unsubscribe = sim.store.subscribe((e) => {
    if (
      e.type === "DELETED" || e.object.kind !== "Kiali" ||
      !e.object.apiVersion?.startsWith("kiali.io/")
    ) return;
    const cr = e.object;
    if (cr.metadata.deletionTimestamp) {
      if (!(cr.metadata.finalizers ?? []).includes(KIALI_FINALIZER)) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        finalize(sim, cr.apiVersion!, cr.metadata.namespace ?? "default", cr.metadata.name ?? "");
      }, FINALIZE_AFTER_MS);
      timers.add(timer);
      return;
    }
    if (e.type !== "ADDED") return;
    queueMicrotask(() =>
      addFinalizer(sim, cr.apiVersion!, cr.metadata.namespace, cr.metadata.name)
    );
    const namespace = cr.metadata.namespace ?? "default";
    queueMicrotask(() => {
      if (sim.get("apps/v1", "Deployment", namespace, "kiali")) return;
      const body = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "kiali",
          namespace,
          labels: { "app.kubernetes.io/name": "kiali" },
          ownerReferences: [{
            apiVersion: cr.apiVersion,
            kind: "Kiali",
            name: cr.metadata.name,
            uid: cr.metadata.uid,
          }],
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { "app.kubernetes.io/name": "kiali" } },
          template: {
            metadata: { labels: { "app.kubernetes.io/name": "kiali" } },
            spec: { containers: [{ name: "kiali", image: "example.invalid/kiali:sim" }] },
          },
        },
      };
      try {
        const type = sim.api.typeOf(body);
        if (type) sim.api.create(type, namespace, body);
      } catch {
        // the namespace is being deleted: nothing to do
      }
    });
  });
  return () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
  };
}

function operatorRunning(sim: Sim): boolean {
  return sim.list("apps/v1", "Deployment").some((d) => d.metadata.name === "kiali-operator");
}

function addFinalizer(
  sim: Sim,
  apiVersion: string,
  namespace: string | undefined,
  name: string | undefined,
): void {
  const cr = sim.get(apiVersion, "Kiali", namespace, name ?? "");
  const type = cr && sim.api.typeOf(cr);
  if (!cr || !type || cr.metadata.deletionTimestamp) return;
  const finalizers = cr.metadata.finalizers ?? [];
  if (finalizers.includes(KIALI_FINALIZER)) return;
  sim.api.writeObject(type, {
    ...cr,
    metadata: { ...cr.metadata, finalizers: [...finalizers, KIALI_FINALIZER] },
  });
}

/** The operator's clean-up: the server goes, then the finalizer. */
function finalize(sim: Sim, apiVersion: string, namespace: string, name: string): void {
  if (!operatorRunning(sim)) return;
  const cr = sim.get(apiVersion, "Kiali", namespace, name);
  const type = cr && sim.api.typeOf(cr);
  if (!cr || !type) return;
  const server = sim.get("apps/v1", "Deployment", namespace, "kiali");
  const serverType = server && sim.api.typeOf(server);
  if (serverType) sim.api.controllerDelete(serverType, namespace, "kiali");
  sim.api.writeObject(type, {
    ...cr,
    metadata: {
      ...cr.metadata,
      finalizers: (cr.metadata.finalizers ?? []).filter((f) => f !== KIALI_FINALIZER),
    },
  });
}
