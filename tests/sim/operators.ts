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
import type { KubeObject, Rec, Sim } from "./mod.ts";

export const KIALI_FINALIZER = "kiali.io/finalizer";

/** How long the modelled operator takes to clean up after a deleted CR. */
const FINALIZE_AFTER_MS = 150;

export function modelKialiOperator(sim: Sim): () => void {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  /** the generation last reconciled, by CR uid */
  const reconciled = new Map<string, number | undefined>();
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
    if (e.type === "ADDED") {
      queueMicrotask(() =>
        addFinalizer(sim, cr.apiVersion!, cr.metadata.namespace, cr.metadata.name)
      );
    }
    // a new CR or a new generation of one: reconcile it (status writes bump no generation)
    if (reconciled.get(cr.metadata.uid ?? "") === cr.metadata.generation) return;
    queueMicrotask(() => reconcileKiali(sim, reconciled, cr));
  });
  // the operator acts only while it runs: CRs created before it are reconciled once it is ready
  const unsubscribeOperator = sim.store.subscribe((e) => {
    if (e.type === "DELETED" || e.gr !== "apps/deployments") return;
    if (e.object.metadata.name !== "kiali-operator" || !operatorReady(sim)) return;
    queueMicrotask(() => {
      for (const cr of sim.list("kiali.io/v1alpha1", "Kiali")) {
        if (reconciled.get(cr.metadata.uid ?? "") !== cr.metadata.generation) {
          reconcileKiali(sim, reconciled, cr);
        }
      }
    });
  });
  return () => {
    unsubscribe();
    unsubscribeOperator();
    for (const t of timers) clearTimeout(t);
  };
}

/** What the modelled operator logged after its start, per simulator (by its Api). */
const operatorLines = new WeakMap<object, string[]>();

function logLine(sim: Sim, fields: Record<string, unknown>): void {
  const lines = operatorLines.get(sim.api) ?? [];
  lines.push(JSON.stringify({ level: "info", logger: "reconciler", ...fields }));
  if (lines.length > 1000) lines.splice(0, lines.length - 1000);
  operatorLines.set(sim.api, lines);
}

/**
 * What a pod logs (`GET .../pods/NAME/log`): the Kiali operator's pods the
 * lines it prints when it starts and watches for Kiali CRs, then one line
 * as each reconcile starts and ends and as a CR is finalised (`api`, the
 * simulator's); any other pod nothing.
 */
export function podLog(pod: KubeObject, api?: object): string[] {
  const owners = pod.metadata.ownerReferences ?? [];
  const name = pod.metadata.name ?? "";
  const operator = owners.length > 0
    ? owners.some((o) => /^kiali-operator-[a-z0-9]+$/.test(String(o.name ?? "")))
    : name.startsWith("kiali-operator-");
  if (!operator) return [];
  return [
    `{"level":"info","logger":"cmd","msg":"Version","ansible-operator":"v1.36.1"}`,
    `{"level":"info","logger":"watches","msg":"Environment variable not set; using default value","envVar":"WATCH_NAMESPACE"}`,
    `{"level":"info","logger":"cmd","msg":"Watching resource","Options.Group":"kiali.io","Options.Version":"v1alpha1","Options.Kind":"Kiali"}`,
    `{"level":"info","msg":"Starting workers","controller":"kiali-controller","worker count":1}`,
    ...(api ? operatorLines.get(api) ?? [] : []),
  ];
}

function operatorRunning(sim: Sim): boolean {
  return sim.list("apps/v1", "Deployment").some((d) => d.metadata.name === "kiali-operator");
}

/** The operator reconciles CRs only once its pod is ready. */
function operatorReady(sim: Sim): boolean {
  return sim.list("apps/v1", "Deployment").some((d) =>
    d.metadata.name === "kiali-operator" &&
    Number((d.status as Rec | undefined)?.readyReplicas ?? 0) > 0
  );
}

/**
 * One reconcile of a Kiali CR, as kiali-operator (an ansible-operator)
 * reports it in `status.conditions`: `Running=True` reason `Running`
 * ("Running reconciliation") while it works, then `Running=True` reason
 * `Successful` ("Awaiting next reconciliation"), `Successful=True` and
 * `Failure=False`. The server Deployment and Service `kiali` are created
 * in between, owned by the CR.
 */
function reconcileKiali(
  sim: Sim,
  reconciled: Map<string, number | undefined>,
  seen: KubeObject,
): void {
  if (!operatorReady(sim)) return;
  const cr = sim.get(seen.apiVersion!, "Kiali", seen.metadata.namespace, seen.metadata.name ?? "");
  const type = cr && sim.api.typeOf(cr);
  if (!cr || !type || cr.metadata.deletionTimestamp) return;
  if (reconciled.get(cr.metadata.uid ?? "") === cr.metadata.generation) return;
  reconciled.set(cr.metadata.uid ?? "", cr.metadata.generation);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const condition = (type: string, status: string, reason: string, message: string): Rec => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: now,
  });
  sim.api.writeStatus(type, cr, {
    ...(cr.status ?? {}),
    conditions: [condition("Running", "True", "Running", "Running reconciliation")],
  });
  const namespace = cr.metadata.namespace ?? "default";
  const which = { namespace, name: cr.metadata.name, generation: cr.metadata.generation };
  logLine(sim, { msg: "Reconciling Kiali", ...which });
  createServer(sim, cr, namespace);
  const current = sim.get(cr.apiVersion!, "Kiali", namespace, cr.metadata.name ?? "");
  if (!current) return;
  logLine(sim, {
    msg: "Reconciliation successful: created Deployment and Service kiali",
    ...which,
  });
  sim.api.writeStatus(type, current, {
    ...(current.status ?? {}),
    conditions: [
      condition("Failure", "False", "", ""),
      condition("Running", "True", "Successful", "Awaiting next reconciliation"),
      condition("Successful", "True", "Successful", "Last reconciliation succeeded"),
    ],
    deployment: { instanceName: "kiali", namespace },
  });
}

/** The Kiali server: Deployment and Service `kiali`, owned by the CR. */
function createServer(sim: Sim, cr: KubeObject, namespace: string): void {
  const owner = {
    apiVersion: cr.apiVersion!,
    kind: "Kiali",
    name: cr.metadata.name ?? "",
    uid: cr.metadata.uid ?? "",
  };
  const labels = { "app.kubernetes.io/name": "kiali" };
  const objects: Rec[] = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "kiali", namespace, labels, ownerReferences: [owner] },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "kiali", image: "example.invalid/kiali:sim" }] },
      },
    },
  }, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kiali", namespace, labels, ownerReferences: [owner] },
    spec: { selector: labels, ports: [{ name: "http", port: 20001 }] },
  }];
  for (const body of objects) {
    const kind = String(body.kind);
    if (sim.get(String(body.apiVersion), kind, namespace, "kiali")) continue;
    try {
      const type = sim.api.typeOf(body);
      if (type) sim.api.create(type, namespace, body);
    } catch {
      // the namespace is being deleted: nothing to do
    }
  }
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
  logLine(sim, { msg: "Finalized Kiali: removed its server", namespace, name });
  sim.api.writeObject(type, {
    ...cr,
    metadata: {
      ...cr.metadata,
      finalizers: (cr.metadata.finalizers ?? []).filter((f) => f !== KIALI_FINALIZER),
    },
  });
}
