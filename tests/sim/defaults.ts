/**
 * Server-side defaults a real API server stores, which clients read back
 * without defaulting them again (e.g. `kubectl rollout status` needs a
 * DaemonSet's `updateStrategy.type`). Custom resources get the `default:`
 * values of their CRD's `openAPIV3Schema` for the served version, on create
 * and update, `status` included: a Gateway API Gateway is stored with
 * `Accepted` and `Programmed` `Unknown`, reason `Pending`, "Waiting for
 * controller" until a controller writes its own status.
 *
 * @module
 */

import { arr, isRec, type KubeObject, type Rec, rec } from "./object.ts";
import type { ResourceType } from "./resources.ts";

function setDefault(target: Rec, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

function child(target: Rec, key: string): Rec {
  if (!isRec(target[key])) target[key] = {};
  return target[key] as Rec;
}

/** The `openAPIV3Schema` of a custom resource type's version, when its CRD has one. */
export type SchemaLookup = (type: ResourceType) => Rec | undefined;

/**
 * Applies a structural schema's `default:` values to `value` (mutated), as
 * the API server does: a property that is absent gets its default, then
 * objects and array items are walked with their own schemas.
 */
export function applySchemaDefaults(value: unknown, schema: Rec): void {
  if (Array.isArray(value)) {
    const items = rec(schema.items);
    for (const item of value) applySchemaDefaults(item, items);
    return;
  }
  if (!isRec(value)) return;
  for (const [key, sub] of Object.entries(rec(schema.properties))) {
    if (!isRec(sub)) continue;
    if (value[key] === undefined && sub.default !== undefined) {
      value[key] = structuredClone(sub.default);
    }
    if (value[key] !== undefined) applySchemaDefaults(value[key], sub);
  }
  const additional = schema.additionalProperties;
  if (isRec(additional)) {
    const known = new Set(Object.keys(rec(schema.properties)));
    for (const [key, v] of Object.entries(value)) {
      if (!known.has(key)) applySchemaDefaults(v, additional);
    }
  }
}

/** Allocates cluster IPs and node ports and applies defaults. */
export class Defaulter {
  #nextIp = 10;
  #nextNodePort = 30000;
  readonly #schema: SchemaLookup | undefined;

  constructor(schema?: SchemaLookup) {
    this.#schema = schema;
  }

  /** Fills in defaults on `obj` (mutated). `old` is the stored object on updates. */
  apply(type: ResourceType, obj: KubeObject, old?: KubeObject): void {
    if (type.crd) {
      const schema = this.#schema?.(type);
      if (schema) applySchemaDefaults(obj, schema);
      return;
    }
    const key = `${type.group}/${type.resource}`;
    switch (key) {
      case "/namespaces":
        this.#namespace(obj);
        break;
      case "/services":
        this.#service(obj, old);
        break;
      case "/pods":
        podSpecDefaults(child(obj, "spec"));
        setDefault(child(obj, "status"), "phase", "Pending");
        break;
      case "/persistentvolumeclaims": {
        const spec = child(obj, "spec");
        setDefault(spec, "volumeMode", "Filesystem");
        setDefault(child(obj, "status"), "phase", "Pending");
        break;
      }
      case "/secrets":
        setDefault(obj, "type", "Opaque");
        break;
      case "apps/deployments": {
        const spec = child(obj, "spec");
        setDefault(spec, "replicas", 1);
        setDefault(spec, "progressDeadlineSeconds", 600);
        setDefault(spec, "revisionHistoryLimit", 10);
        const strategy = child(spec, "strategy");
        setDefault(strategy, "type", "RollingUpdate");
        if (strategy.type === "RollingUpdate") {
          const ru = child(strategy, "rollingUpdate");
          setDefault(ru, "maxSurge", "25%");
          setDefault(ru, "maxUnavailable", "25%");
        }
        podTemplateDefaults(spec);
        break;
      }
      case "apps/daemonsets": {
        const spec = child(obj, "spec");
        setDefault(spec, "revisionHistoryLimit", 10);
        const strategy = child(spec, "updateStrategy");
        setDefault(strategy, "type", "RollingUpdate");
        if (strategy.type === "RollingUpdate") {
          const ru = child(strategy, "rollingUpdate");
          setDefault(ru, "maxUnavailable", 1);
          setDefault(ru, "maxSurge", 0);
        }
        podTemplateDefaults(spec);
        break;
      }
      case "apps/statefulsets": {
        const spec = child(obj, "spec");
        setDefault(spec, "replicas", 1);
        setDefault(spec, "podManagementPolicy", "OrderedReady");
        setDefault(spec, "revisionHistoryLimit", 10);
        const strategy = child(spec, "updateStrategy");
        setDefault(strategy, "type", "RollingUpdate");
        if (strategy.type === "RollingUpdate") {
          setDefault(child(strategy, "rollingUpdate"), "partition", 0);
        }
        setDefault(spec, "persistentVolumeClaimRetentionPolicy", {
          whenDeleted: "Retain",
          whenScaled: "Retain",
        });
        podTemplateDefaults(spec);
        break;
      }
      case "apps/replicasets": {
        const spec = child(obj, "spec");
        setDefault(spec, "replicas", 1);
        podTemplateDefaults(spec);
        break;
      }
      case "batch/jobs": {
        const spec = child(obj, "spec");
        setDefault(spec, "completions", 1);
        setDefault(spec, "parallelism", 1);
        setDefault(spec, "backoffLimit", 6);
        setDefault(spec, "completionMode", "NonIndexed");
        setDefault(spec, "suspend", false);
        podTemplateDefaults(spec);
        break;
      }
      case "apiextensions.k8s.io/customresourcedefinitions": {
        const names = child(child(obj, "spec"), "names");
        if (typeof names.kind === "string") {
          setDefault(names, "listKind", `${names.kind}List`);
          setDefault(names, "singular", names.kind.toLowerCase());
        }
        break;
      }
    }
  }

  #namespace(obj: KubeObject): void {
    const name = obj.metadata.name ?? "";
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), "kubernetes.io/metadata.name": name };
    const spec = child(obj, "spec");
    if (!Array.isArray(spec.finalizers)) spec.finalizers = ["kubernetes"];
    const status = child(obj, "status");
    setDefault(status, "phase", obj.metadata.deletionTimestamp ? "Terminating" : "Active");
  }

  #service(obj: KubeObject, old?: KubeObject): void {
    const spec = child(obj, "spec");
    const oldSpec = rec(old?.spec);
    setDefault(spec, "type", "ClusterIP");
    setDefault(spec, "sessionAffinity", "None");
    if (spec.type !== "ExternalName") {
      if (oldSpec.clusterIP && !spec.clusterIP) {
        spec.clusterIP = oldSpec.clusterIP;
        spec.clusterIPs = oldSpec.clusterIPs;
      }
      if (!spec.clusterIP) spec.clusterIP = this.#allocateIp();
      setDefault(spec, "clusterIPs", [spec.clusterIP]);
      setDefault(spec, "ipFamilies", ["IPv4"]);
      setDefault(spec, "ipFamilyPolicy", "SingleStack");
      setDefault(spec, "internalTrafficPolicy", "Cluster");
    }
    const external = spec.type === "LoadBalancer" || spec.type === "NodePort";
    if (external) setDefault(spec, "externalTrafficPolicy", "Cluster");
    if (spec.type === "LoadBalancer") setDefault(spec, "allocateLoadBalancerNodePorts", true);
    const oldPorts = arr(oldSpec.ports).filter(isRec);
    for (const port of arr(spec.ports).filter(isRec)) {
      setDefault(port, "protocol", "TCP");
      setDefault(port, "targetPort", port.port);
      if (external && port.nodePort === undefined) {
        const previous = oldPorts.find((p) => p.port === port.port && p.nodePort !== undefined);
        port.nodePort = previous ? previous.nodePort : this.#nextNodePort++;
      }
    }
  }

  #allocateIp(): string {
    const n = this.#nextIp++;
    return `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  }
}

function podTemplateDefaults(spec: Rec): void {
  const template = rec(spec.template);
  if (isRec(template.spec)) podSpecDefaults(template.spec);
}

function podSpecDefaults(spec: Rec): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "securityContext", {});
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)].filter(isRec)) {
    const image = String(c.image ?? "");
    setDefault(c, "imagePullPolicy", /:latest$|^[^:]*$/.test(image) ? "Always" : "IfNotPresent");
    setDefault(c, "terminationMessagePath", "/dev/termination-log");
    setDefault(c, "terminationMessagePolicy", "File");
    setDefault(c, "resources", {});
    for (const p of arr(c.ports).filter(isRec)) setDefault(p, "protocol", "TCP");
  }
}
