/**
 * The benchmark's fixed readiness profile (DESIGN.md, `deno task bench`): a
 * home lab's times divided by 20, so that figures compare across commits.
 *
 * | what                                   | nominal delay          |
 * | -------------------------------------- | ---------------------- |
 * | any CRD Established                    | 100 ms                 |
 * | istiod                                 | 1500 ms                |
 * | istio-cni-node, ztunnel (DaemonSets)   | 1000 ms                |
 * | the ingress gateway                    | 750 ms                 |
 * | kiali-operator, then the Kiali server  | 1000 ms, 1500 ms       |
 * | each bookinfo Deployment               | 1000-2000 ms, by name  |
 * | anything else (Services, pods, ...)    | at once                |
 *
 * Every delay gets ±10 % jitter. The jitter is drawn here, per object, from
 * a hash of a fixed seed and the object's key, rather than by the
 * simulator's own `jitter` option: the simulator draws from one PRNG in the
 * order objects appear, which differs between a concurrent and a serial
 * install, so the same object would get different delays in the two runs
 * and the computed critical path would not be the one the simulator plays.
 * Here an object gets the same delay whoever creates it and whenever.
 *
 * Pure: no simulator, no processes. `main.ts` hands {@link simReadyDelay}
 * to `startSim`; the unit test checks the numbers.
 *
 * @module
 */
import { criticalPath, type Node } from "../../lib/plan/dag.ts";

/** Seed of the jitter (and of the simulator's names). Fixed: figures compare across commits. */
export const PROFILE_SEED = 20_250_707;
/** Relative jitter on every delay: ±10 %. */
export const PROFILE_JITTER = 0.1;
/** CRDs become Established after this (before jitter). */
export const CRD_ESTABLISH_MS = 100;

/** Namespace of bookinfo in the default config. */
export const BOOKINFO_NAMESPACE = "book-info";
/** The bookinfo stand-in's Deployments (tests/bench/bookinfo), in declaration order. */
export const BOOKINFO_DEPLOYMENTS: readonly string[] = [
  "details-v1",
  "ratings-v1",
  "reviews-v1",
  "reviews-v2",
  "reviews-v3",
  "productpage-v1",
];

/** CRDs templated by the istio/base stand-in (tests/fixtures/charts/base). */
export const ISTIO_BASE_CRDS: readonly string[] = [
  "telemetries.telemetry.istio.io",
  "gateways.networking.istio.io",
  "virtualservices.networking.istio.io",
  "peerauthentications.security.istio.io",
  "authorizationpolicies.security.istio.io",
];
/** CRDs in the kiali-operator stand-in's `crds/`. */
export const KIALI_CRDS: readonly string[] = ["kialis.kiali.io"];

/** The simulator's key of an object: `"<namespace>/<Kind>/<name>"`, namespace empty if cluster-scoped. */
export function objectKey(namespace: string | undefined, kind: string, name: string): string {
  return `${namespace ?? ""}/${kind}/${name}`;
}

function crdKey(name: string): string {
  return objectKey(undefined, "CustomResourceDefinition", name);
}

function deployKey(namespace: string, name: string): string {
  return objectKey(namespace, "Deployment", name);
}

/** Bookinfo Deployments spread evenly over 1000-2000 ms in declaration order. */
function bookinfoDelays(): Record<string, number> {
  const last = BOOKINFO_DEPLOYMENTS.length - 1;
  return Object.fromEntries(
    BOOKINFO_DEPLOYMENTS.map((name, i) => [
      deployKey(BOOKINFO_NAMESPACE, name),
      1000 + Math.round((1000 * i) / last),
    ]),
  );
}

/** Nominal delays (before jitter) of the named objects. CRDs are matched by kind. */
export const NOMINAL_DELAYS: Readonly<Record<string, number>> = {
  "istio-system/Deployment/istiod": 1500,
  "istio-system/DaemonSet/istio-cni-node": 1000,
  "istio-system/DaemonSet/ztunnel": 1000,
  "istio-ingress/Deployment/istio-gateway": 750,
  "kiali/Deployment/kiali-operator": 1000,
  // created by the simulator's kiali-operator model for the Kiali CR
  "kiali/Deployment/kiali": 1500,
  ...bookinfoDelays(),
};

/** Options of the delay functions: the profile's seed and jitter unless told. */
export interface JitterOptions {
  seed?: number;
  /** 0 gives the nominal delays */
  jitter?: number;
}

/** A number in [0, 1) from a string: FNV-1a, then murmur3's finaliser to spread the bits. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** The jitter factor of one object, in [1 - jitter, 1 + jitter). */
export function jitterFactor(key: string, options: JitterOptions = {}): number {
  const jitter = options.jitter ?? PROFILE_JITTER;
  return 1 + jitter * (2 * unitHash(`${options.seed ?? PROFILE_SEED}:${key}`) - 1);
}

/** The nominal delay of an object by its key, or undefined when the profile leaves it instant. */
export function nominalDelay(key: string): number | undefined {
  if (key in NOMINAL_DELAYS) return NOMINAL_DELAYS[key];
  return key.startsWith("/CustomResourceDefinition/") ? CRD_ESTABLISH_MS : undefined;
}

/** The delay the simulator applies to an object (jitter included), or undefined: at once. */
export function profileDelay(key: string, options: JitterOptions = {}): number | undefined {
  const nominal = nominalDelay(key);
  if (nominal === undefined) return undefined;
  return Math.round(nominal * jitterFactor(key, options));
}

/** For `startSim({ readyDelay })`: the profile's delay of a stored object, or undefined. */
export function simReadyDelay(
  obj: { kind?: string; metadata: { namespace?: string; name?: string } },
): number | undefined {
  return profileDelay(objectKey(obj.metadata.namespace, obj.kind ?? "", obj.metadata.name ?? ""));
}

/**
 * What each task of the DAG waits for under the default config, as phases
 * run one after another; the objects of one phase become ready side by
 * side. A task's cost is the sum over its phases of the longest delay.
 *
 * - istio:base waits for its templated CRDs (helm's watcher `--wait`).
 * - kiali: helm creates the chart's `crds/` and waits until they are
 *   Established before the templates, then the operator Deployment, then
 *   (after the CR is applied) the Kiali server.
 * - cilium finds no Cilium on the simulator (a read); gateway-api installs
 *   nothing with the default config (istio-api flavour, no waypoint);
 *   telemetry applies a Telemetry resource and checks for monitor CRDs
 *   (reads and one apply, nothing to wait for); aggregates have no steps.
 */
export const TASK_WAITS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  "cilium": [],
  "gateway-api": [],
  "istio:base": [ISTIO_BASE_CRDS.map(crdKey)],
  "istio:cni": [["istio-system/DaemonSet/istio-cni-node"]],
  "istio:istiod": [["istio-system/Deployment/istiod"]],
  "istio:ztunnel": [["istio-system/DaemonSet/ztunnel"]],
  "istio:install": [],
  "gateway": [["istio-ingress/Deployment/istio-gateway"]],
  "telemetry": [],
  "kiali": [
    KIALI_CRDS.map(crdKey),
    ["kiali/Deployment/kiali-operator"],
    ["kiali/Deployment/kiali"],
  ],
  "bookinfo": [BOOKINFO_DEPLOYMENTS.map((d) => deployKey(BOOKINFO_NAMESPACE, d))],
  "up": [],
};

/** A task's cost under the profile. Throws for a task the profile does not know. */
export function taskCost(id: string, options: JitterOptions = {}): number {
  const phases = TASK_WAITS[id];
  if (!phases) {
    throw new Error(
      `Cannot cost task "${id}": the bench profile does not know it\n  hint: add it to TASK_WAITS in tests/bench/profile.ts`,
    );
  }
  return phases.reduce(
    (sum, phase) => sum + Math.max(0, ...phase.map((k) => profileDelay(k, options) ?? 0)),
    0,
  );
}

/** The DAG's critical path under the profile: what no scheduler can beat. */
export function profileCriticalPath(
  nodes: readonly Node[],
  options: JitterOptions = {},
): { total: number; path: string[] } {
  return criticalPath(nodes, (id) => taskCost(id, options));
}
