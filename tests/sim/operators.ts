/**
 * Operators the simulator can stand in for. `modelKialiOperator` does what
 * kiali-operator does that the installer relies on: for each Kiali CR it
 * creates the Kiali server Deployment `kiali` in the CR's namespace, owned
 * by the CR (so deleting the CR removes it). The simulator's controllers
 * then make that Deployment ready like any other.
 */
import type { Sim } from "./mod.ts";

export function modelKialiOperator(sim: Sim): () => void {
  return sim.store.subscribe((e) => {
    if (
      e.type !== "ADDED" || e.object.kind !== "Kiali" ||
      !e.object.apiVersion?.startsWith("kiali.io/")
    ) return;
    const cr = e.object;
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
}
