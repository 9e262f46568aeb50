/**
 * A simulated Kubernetes API server on 127.0.0.1 that the real kubectl 1.35
 * and helm 4.1 drive: discovery, `/version`, OpenAPI enough for both, CRUD
 * for any type (CRDs included), selectors, watch, server-side apply, status,
 * namespaces, helm's protobuf Secrets, a controller loop that makes
 * workloads progress, and fault injection.
 *
 * ```ts
 * const sim = await startSim({ readyAfterMs: 50 });
 * // KUBECONFIG=sim.kubeconfig kubectl ...
 * sim.requests.count({ method: "GET", path: "^/version$" });
 * await sim.close();
 * ```
 *
 * Test infrastructure only: production code never imports it.
 *
 * @module
 */

import { AmbientModel } from "./ambient.ts";
import { baseObjects } from "./base_objects.ts";
import { Api } from "./api/mod.ts";
import { Controllers } from "./controllers/mod.ts";
import { type Faults, FaultSet, parseFaults } from "./faults.ts";
import { kubeconfigText } from "./kubeconfig.ts";
import { type KubeObject, type Rec, seededRandom, splitApiVersion } from "./object.ts";
import { builtinTypes, Registry, type ResourceType } from "./resources.ts";
import { Scheduler } from "./scheduler.ts";
import { createHandler, RequestLog } from "./server/mod.ts";
import { Store } from "./store.ts";
import { serveMutualTls, type SimServer } from "./node_serve.ts";
import { makeTlsMaterial } from "./tls.ts";
import { podEndpoint } from "./pod_endpoints.ts";
import { modelKialiOperator } from "./operators.ts";
import { modelIstioGateways } from "./gateways.ts";
import { MeshClients } from "./mesh_clients.ts";
import { WatchHub } from "./watch.ts";

export {
  AccessReviewFaultSchema,
  type Faults,
  FaultSet,
  FaultsSchema,
  OBJECT_FAULTS,
  type ObjectFault,
  type ObjectFaultName,
  ObjectFaultSchema,
  parseFaults,
  type RequestFault,
  RequestFaultSchema,
  type WatchFault,
  WatchFaultSchema,
} from "./faults.ts";
export {
  decodeHelmRelease,
  type HelmReleaseOptions,
  helmReleaseRecord,
  helmReleaseSecret,
  type HelmReleaseStatus,
} from "./helm_release.ts";
export type { KubeObject, ObjectMeta, Rec } from "./object.ts";
export type { RequestFilter, RequestLog, RequestLogEntry } from "./server/mod.ts";
export type { Store, StoreEvent } from "./store.ts";
export type { Api } from "./api/mod.ts";
export type { Controllers } from "./controllers/mod.ts";
export type { Registry, ResourceType } from "./resources.ts";
export { encodeSecretProtobuf } from "./protobuf.ts";

/** Options of {@link startSim}. */
export interface SimOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Where to write the kubeconfig (default: a temp file, removed on close). */
  kubeconfig?: string;
  /** Namespace of the kubeconfig's context. */
  namespace?: string;
  /** Number of Node objects (default 1). DaemonSets get one pod per node. */
  nodes?: number;
  /** Delay before workloads become ready, Jobs complete, PVCs bind, LBs get an address (default 100). */
  readyAfterMs?: number;
  /** Delay before CRDs become Established (default 20). */
  establishAfterMs?: number;
  /** Delays by `"<namespace>/<Kind>/<name>"` (empty namespace for cluster-scoped, e.g. `"/CustomResourceDefinition/x"`). */
  readyDelays?: Record<string, number>;
  /** Delays by function; return undefined to fall through. */
  readyDelay?: (obj: KubeObject) => number | undefined;
  /** Relative jitter on every delay (0.1 = ±10 %), fixed per object by `seed`. */
  jitter?: number;
  /** Seed of the simulator's PRNG (names, jitter). Default fixed. */
  seed?: number;
  /** Faults and seed objects. */
  faults?: Faults;
  /** Serve HTTPS with a generated CA (written to the kubeconfig) and require a bearer token. */
  tls?: boolean;
  /**
   * Serve HTTPS (through `node:https`) that requires a client certificate
   * signed by the generated CA; the kubeconfig carries the client certificate
   * and key and no token. Implies `tls`.
   */
  clientCert?: boolean;
  /** Bearer token to require (default: a random one with `tls` and no `clientCert`, none without). */
  token?: string;
  /** The `/version` answer (default "v1.35.0"). */
  serverVersion?: string;
  /** Answer aggregated discovery when asked (default false: legacy discovery). */
  aggregatedDiscovery?: boolean;
  /** Run workload controllers (default true). */
  workloads?: boolean;
  /**
   * Play the controllers this stack brings (default true): the Kiali operator
   * (`operators.ts`) and Istio's gateway controller (`gateways.ts`).
   */
  operators?: boolean;
  /** Addresses for LoadBalancer Services (default 127.0.0.2, 127.0.0.3, ...). */
  loadBalancerIps?: string[];
  /** How many change events are kept for watch resumption (default 5000). */
  maxEvents?: number;
}

/** A running simulator. */
export interface Sim {
  /** `http://127.0.0.1:PORT` (or https). */
  url: string;
  /** Path of the kubeconfig (context, cluster and user `sim`). */
  kubeconfig: string;
  /** The bearer token, if one is required. */
  token?: string;
  /** The CA certificate (PEM) with `tls`. */
  caPem?: string;
  /** The client certificate and key (PEM) with `clientCert`. */
  clientCert?: { certPem: string; keyPem: string };
  /** Stops serving, cancels every timer and watch, removes a temp kubeconfig. */
  close(): Promise<void>;
  /** Direct access to the object store. */
  store: Store;
  /** API semantics (create/update/patch/delete as the server does them). */
  api: Api;
  /** Live faults: `set`, `add`, `clear`, `snapshot`. */
  faults: FaultSet;
  /** Logged requests (control endpoints excluded): `list`, `count`, `reset`. */
  requests: RequestLog;
  /** The controllers (their `errors`, `delayFor`). */
  controllers: Controllers;
  /** The served types. */
  registry: Registry;
  /** Istio's ambient data plane: CNI capture, ztunnel's view, its counters (`ambient.ts`). */
  ambient: AmbientModel;
  /** Creates or replaces objects as given (status kept; namespaces created as needed). */
  seed(objects: Rec | Rec[]): KubeObject[];
  /** A copy of an object, or undefined. */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
  /** Copies of the objects of a kind (all namespaces unless given). */
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** Errors thrown inside controllers or timers (should stay empty). */
  readonly errors: unknown[];
}

function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function denoServer(server: Deno.HttpServer<Deno.NetAddr>): SimServer {
  return { port: server.addr.port, shutdown: () => server.shutdown() };
}

/** Starts a simulator on 127.0.0.1 and writes its kubeconfig. */
export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const serverVersion = options.serverVersion ?? "v1.35.0";
  const random = seededRandom(options.seed ?? 0x5eed);
  const errors: unknown[] = [];
  const store = new Store({ maxEvents: options.maxEvents, onError: (e) => errors.push(e) });
  const registry = new Registry(builtinTypes());
  const parsedFaults = parseFaults(options.faults ?? {}, "startSim faults");
  const faults = new FaultSet(parsedFaults);
  const api = new Api(store, registry, faults, random);
  const scheduler = new Scheduler((error) => errors.push(error));
  const controllers = new Controllers(api, scheduler, random, {
    readyAfterMs: options.readyAfterMs,
    establishAfterMs: options.establishAfterMs,
    readyDelays: options.readyDelays,
    readyDelay: options.readyDelay,
    jitter: options.jitter,
    seed: options.seed,
    loadBalancerIps: options.loadBalancerIps,
    workloads: options.workloads,
  });
  const watches = new WatchHub(store);
  const requests = new RequestLog();
  const seed = (objects: Rec[]): KubeObject[] => objects.map((o) => api.seed(o));

  seed(baseObjects(options.nodes ?? 1, serverVersion));
  controllers.start();
  const ambient = new AmbientModel(api);
  ambient.start();
  const meshClients = new MeshClients(api);
  meshClients.start();
  seed(parsedFaults.seed ?? []);

  const clientCert = options.clientCert ?? false;
  const tls = options.tls || clientCert ? await makeTlsMaterial({ clientCert }) : undefined;
  const token = options.token ?? (options.tls && !clientCert ? randomToken() : undefined);
  let closing = false;
  let port = 0;
  const handler = createHandler({
    api,
    faults,
    watches,
    scheduler,
    requests,
    serverVersion,
    aggregatedDiscovery: options.aggregatedDiscovery ?? false,
    token,
    address: () => `127.0.0.1:${port}`,
    seed,
    isClosing: () => closing,
    podEndpoint: (req, url) => podEndpoint(req, url, { api, ambient }),
    productpageTraffic: (namespace) => ambient.recordProductpageRequest(namespace),
  });
  const serveOptions = { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} };
  const server: SimServer = tls && clientCert
    ? await serveMutualTls({
      ...serveOptions,
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      caPem: tls.caPem,
    }, handler)
    : denoServer(
      tls
        ? Deno.serve({ ...serveOptions, cert: tls.certPem, key: tls.keyPem }, handler)
        : Deno.serve(serveOptions, handler),
    );
  port = server.port;
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  const tempKubeconfig = options.kubeconfig === undefined;
  const kubeconfig = options.kubeconfig ??
    await Deno.makeTempFile({ prefix: "sim-kubeconfig-", suffix: ".yaml" });
  await Deno.writeTextFile(
    kubeconfig,
    kubeconfigText({
      server: url,
      caPem: tls?.caPem,
      token,
      clientCertPem: tls?.client?.certPem,
      clientKeyPem: tls?.client?.keyPem,
      namespace: options.namespace,
    }),
  );

  let closed: Promise<void> | undefined;
  const stopOperators: (() => void)[] = [];
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      for (const stop of stopOperators) stop();
      controllers.stop();
      ambient.stop();
      meshClients.stop();
      scheduler.close();
      watches.closeAll();
      await server.shutdown();
      if (tempKubeconfig) await Deno.remove(kubeconfig).catch(() => {});
    })();
    return closed;
  };

  const typeFor = (apiVersion: string, kind: string): ResourceType | undefined => {
    const { group } = splitApiVersion(apiVersion);
    return api.typeOf({ apiVersion, kind }) ?? api.typeForKind(group, kind);
  };

  const sim: Sim = {
    url,
    kubeconfig,
    token,
    caPem: tls?.caPem,
    clientCert: tls?.client,
    close,
    store,
    api,
    faults,
    requests,
    controllers,
    registry,
    ambient,
    seed: (objects) => seed(Array.isArray(objects) ? objects : [objects]),
    get(apiVersion, kind, namespace, name): KubeObject | undefined {
      const type = typeFor(apiVersion, kind);
      if (!type) return undefined;
      try {
        return api.get(type, namespace, name);
      } catch {
        return undefined;
      }
    },
    list(apiVersion, kind, namespace): KubeObject[] {
      const type = typeFor(apiVersion, kind);
      if (!type) return [];
      return (api.list(type, namespace, () => true).items as KubeObject[]);
    },
    get errors(): unknown[] {
      return [...errors, ...controllers.errors];
    },
  };
  if (options.operators ?? true) {
    stopOperators.push(modelKialiOperator(sim), modelIstioGateways(sim));
  }
  return sim;
}
