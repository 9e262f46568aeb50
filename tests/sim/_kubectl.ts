/**
 * Helpers for the tests that drive the simulator with the real kubectl: a
 * simulator and its tools for one test (its errors checked at the end), and
 * the manifests they apply.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { tools } from "./_tools.ts";
import { type Sim, type SimOptions, startSim } from "./mod.ts";

/** Runs `fn` against a fresh simulator and kubectl/helm, then checks that it recorded no errors. */
export async function withKube(
  fn: (sim: Sim, t: Awaited<ReturnType<typeof tools>>) => Promise<void>,
  options: SimOptions = {},
): Promise<void> {
  const sim = await startSim({ readyAfterMs: 50, ...options });
  await using t = await tools(sim);
  try {
    await fn(sim, t);
    assertEquals(sim.errors, []);
  } finally {
    await sim.close();
  }
}

/** A namespace `shop` with a ConfigMap, a Deployment, a DaemonSet, a StatefulSet and a Service. */
export const MULTI = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels: {app: shop, tier: config}
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: shop, tier: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop, tier: web}}
  template:
    metadata: {labels: {app: shop, tier: web}}
    spec:
      containers: [{name: web, image: "registry.invalid/web:1"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop, labels: {app: shop, tier: agent}}
spec:
  selector: {matchLabels: {tier: agent}}
  template:
    metadata: {labels: {tier: agent}}
    spec:
      containers: [{name: agent, image: "registry.invalid/agent:1"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, labels: {app: shop, tier: db}}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {tier: db}}
  template:
    metadata: {labels: {tier: db}}
    spec:
      containers: [{name: db, image: "registry.invalid/db:1"}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: shop}}
spec:
  type: LoadBalancer
  selector: {tier: web}
  ports: [{port: 80}]
`;

/** The CRD of `Gadget` (example.com). */
export const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget, shortNames: [gd]}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

/** A `Gadget`. */
export const CR = `apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1, namespace: default, labels: {size: big}}
spec: {size: 3}
`;
