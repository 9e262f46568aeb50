/**
 * Istio's gateway controller as the simulator plays it: istiod programs
 * Gateway API Gateways of class `istio` and `istio-waypoint`, and nothing
 * happens to them before istiod is ready (their status stays what the CRD's
 * schema defaults give: `Accepted` and `Programmed` `Unknown`, reason
 * `Pending`, "Waiting for controller", see `defaults.ts`).
 *
 * Once the Deployment `istio-system/istiod` has a ready replica, for each
 * such Gateway it creates, owned by the Gateway:
 * - class `istio`: Deployment and LoadBalancer Service `<name>-istio`;
 * - class `istio-waypoint`: Deployment and ClusterIP Service `<name>`
 *   (port 15008, HBONE);
 * with pods labelled `istio.io/dataplane-mode: none` (a gateway is not
 * captured by istio-cni), and writes the Gateway's status: `Accepted=True`
 * and `Programmed=True` with the Gateway's generation as observedGeneration
 * and the Service's address in `status.addresses`. A LoadBalancer Service
 * without an address yet leaves `Programmed=False`, reason
 * `AddressNotAssigned`, as istiod reports it.
 *
 * @module
 */

import type { KubeObject, Rec, Sim } from "./mod.ts";

const GATEWAY_API = "gateway.networking.k8s.io/v1";
const CLASSES = new Set(["istio", "istio-waypoint"]);

/** Starts playing istiod's gateway controller; returns its stop. */
export function modelIstioGateways(sim: Sim): () => void {
  let queued = false;
  const schedule = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      if (running) reconcileAll(sim);
    });
  };
  let running = true;
  const unsubscribe = sim.store.subscribe((e) => {
    if (
      e.gr === "gateway.networking.k8s.io/gateways" || e.gr === "/services" ||
      (e.gr === "apps/deployments" && e.object.metadata.name === "istiod")
    ) schedule();
  });
  schedule();
  return () => {
    running = false;
    unsubscribe();
  };
}

function istiodReady(sim: Sim): boolean {
  const istiod = sim.get("apps/v1", "Deployment", "istio-system", "istiod");
  return Number((istiod?.status as Rec | undefined)?.readyReplicas ?? 0) > 0;
}

function reconcileAll(sim: Sim): void {
  if (!istiodReady(sim)) return;
  for (const gw of sim.list(GATEWAY_API, "Gateway")) {
    const className = String((gw.spec as Rec | undefined)?.gatewayClassName ?? "");
    if (!CLASSES.has(className) || gw.metadata.deletionTimestamp) continue;
    reconcile(sim, gw, className === "istio-waypoint");
  }
}

function reconcile(sim: Sim, gw: KubeObject, waypoint: boolean): void {
  const ns = gw.metadata.namespace ?? "default";
  const name = gw.metadata.name ?? "";
  const workload = waypoint ? name : `${name}-istio`;
  ensureChildren(sim, gw, workload, waypoint);
  const svc = sim.get("v1", "Service", ns, workload);
  const host = `${workload}.${ns}.svc.cluster.local`;
  const spec = (svc?.spec ?? {}) as Rec;
  const ingress =
    (((svc?.status as Rec | undefined)?.loadBalancer as Rec | undefined)?.ingress ?? []) as Rec[];
  const ip = waypoint ? String(spec.clusterIP ?? "") : String(ingress[0]?.ip ?? "");
  const ports = ((gw.spec as Rec | undefined)?.listeners as Rec[] | undefined ?? [])
    .map((l) => `${host}:${l.port}`).join(", ");
  const generation = gw.metadata.generation ?? 1;
  const previous = ((gw.status as Rec | undefined)?.conditions ?? []) as Rec[];
  const condition = (type: string, status: string, reason: string, message: string): Rec => {
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: before?.status === status
        ? before.lastTransitionTime
        : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
  };
  const programmed = ip
    ? condition(
      "Programmed",
      "True",
      "Programmed",
      `Resource programmed, assigned to service(s) ${ports}`,
    )
    : condition(
      "Programmed",
      "False",
      "AddressNotAssigned",
      `Assigned to service(s) ${ports}, but failed to assign to all requested addresses: ` +
        `address pending for hostname "${host}"`,
    );
  const type = sim.api.typeOf(gw);
  if (!type) return;
  sim.api.writeStatus(type, gw, {
    ...(gw.status ?? {}),
    conditions: [condition("Accepted", "True", "Accepted", "Resource accepted"), programmed],
    addresses: ip ? [{ type: "IPAddress", value: ip }] : [{ type: "Hostname", value: host }],
  });
}

function ensureChildren(sim: Sim, gw: KubeObject, workload: string, waypoint: boolean): void {
  const ns = gw.metadata.namespace ?? "default";
  const owner = {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    name: gw.metadata.name ?? "",
    uid: gw.metadata.uid ?? "",
    controller: true,
  };
  const selector = { "gateway.networking.k8s.io/gateway-name": gw.metadata.name ?? "" };
  const labels = {
    ...selector,
    "gateway.istio.io/managed": waypoint
      ? "istio.io-mesh-controller"
      : "istio.io-gateway-controller",
  };
  const listeners = ((gw.spec as Rec | undefined)?.listeners ?? []) as Rec[];
  const ports = [
    { name: "status-port", port: 15021 },
    ...(waypoint ? [{ name: "mesh", port: 15008 }] : listeners.map((l) => ({
      name: String(l.name ?? `port-${l.port}`),
      port: Number(l.port),
    }))),
  ];
  const objects: Rec[] = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: workload, namespace: ns, labels, ownerReferences: [owner] },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, "istio.io/dataplane-mode": "none" } },
        spec: { containers: [{ name: "istio-proxy", image: "example.invalid/proxyv2:sim" }] },
      },
    },
  }, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: workload, namespace: ns, labels, ownerReferences: [owner] },
    spec: { type: waypoint ? "ClusterIP" : "LoadBalancer", selector, ports },
  }];
  for (const body of objects) {
    if (sim.get(String(body.apiVersion), String(body.kind), ns, workload)) continue;
    try {
      const type = sim.api.typeOf(body);
      if (type) sim.api.create(type, ns, body);
    } catch {
      // the namespace is being deleted: nothing to do
    }
  }
}
