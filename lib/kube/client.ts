/**
 * An in-process Kubernetes API client on Deno's fetch: one
 * `Deno.createHttpClient` per cluster (CA, client certificate, proxy,
 * HTTP/2), bearer tokens from the kubeconfig (token, token file, exec
 * plugin), a deadline on every request, transient failures retried with the
 * same classes and backoff as kubectl calls (retry.ts), discovery-based
 * resource paths, reads, server-side apply, deletes and resumable watches.
 * Safe for many concurrent callers.
 *
 * ```ts
 * const kube = await KubeClient.fromKubeconfig({ context: "prod" });
 * const support = clientSupport(kube.config); // or check before creating it
 * const { items } = await kube.list({ apiVersion: "apps/v1", kind: "Deployment", namespace: "x" });
 * kube.close();
 * ```
 *
 * @module
 */

import { errorFromStatus } from "./_http.ts";
import { type CallOptions, Transport, type TransportOptions } from "./_transport.ts";
import { Discovery, type ResourceInfo, UnknownKindError } from "./discovery.ts";
import {
  loadKubeconfig,
  type LoadKubeconfigOptions,
  type ResolvedKubeconfig,
} from "./kubeconfig.ts";
import {
  portForwardGet,
  type PortForwardRequest,
  type PortForwardResponse,
  type PortForwardTarget,
} from "./port_forward.ts";
import { runWatch, type WatchOptions } from "./watch.ts";

export { ApiError } from "./_http.ts";
export { CredentialError } from "./credentials.ts";
export type { CallOptions } from "./_transport.ts";
export { type ResourceInfo, UnknownKindError } from "./discovery.ts";
export type { WatchEventType, WatchOptions } from "./watch.ts";

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown>;

/** An object (or, without a name, a collection) by type. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  /** for a namespaced kind: default the context's namespace for a named object, all namespaces for a list */
  namespace?: string;
  name?: string;
}

/** What to list or watch. */
export interface ListQuery {
  apiVersion: string;
  kind: string;
  /** absent: every namespace */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A list's items, its resourceVersion, and whether the server knows the kind at all. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  /** true when the server serves no such kind: then there are no objects */
  unknownKind: boolean;
}

export interface ApplyOptions extends CallOptions {
  fieldManager: string;
  /** take over fields that another manager owns (`force=true`) */
  force?: boolean;
  /** `dryRun=All`: validated and defaulted, not stored */
  dryRun?: boolean;
}

export interface DeleteOptions extends CallOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  dryRun?: boolean;
}

/** Deadlines, retries, exec plugin settings. */
export type KubeClientOptions = TransportOptions;

/** A client for one kubeconfig context. */
export class KubeClient {
  /** the resolved kubeconfig context */
  readonly config: ResolvedKubeconfig;
  readonly #options: KubeClientOptions;
  readonly #transport: Transport;
  readonly #discovery: Discovery;

  constructor(config: ResolvedKubeconfig, options: KubeClientOptions = {}) {
    this.config = config;
    this.#options = options;
    this.#transport = new Transport(config, options);
    this.#discovery = new Discovery(async (path, signal) => {
      const text = await this.#transport.request("GET", path, { signal, notFound: true });
      return text === undefined ? undefined : JSON.parse(text);
    });
  }

  /** Loads the kubeconfig (see {@link loadKubeconfig}) and makes a client for its context. */
  static async fromKubeconfig(
    options: LoadKubeconfigOptions & KubeClientOptions = {},
  ): Promise<KubeClient> {
    return new KubeClient(await loadKubeconfig(options), options);
  }

  /** The API server URL. */
  get server(): string {
    return this.config.cluster.server;
  }

  /** The context's namespace (or "default"). */
  get namespace(): string {
    return this.config.namespace;
  }

  /** How many times the exec plugin ran (diagnostics). */
  get execRuns(): number {
    return this.#transport.execRuns;
  }

  /** The served resource for a kind, or undefined (after one discovery refresh). */
  resource(
    apiVersion: string,
    kind: string,
    options: CallOptions = {},
  ): Promise<ResourceInfo | undefined> {
    return this.#discovery.find(apiVersion, kind, options.signal);
  }

  /**
   * The URL path of an object (with a name) or a collection (without):
   * `/api/v1/namespaces/N/pods/P`, `/apis/G/V/PLURAL`. Throws
   * {@link UnknownKindError} for a kind the server does not serve.
   */
  async resourcePath(ref: ResourceRef, options: CallOptions = {}): Promise<string> {
    const info = await this.resource(ref.apiVersion, ref.kind, options);
    if (!info) throw new UnknownKindError(ref.apiVersion, ref.kind, this.server);
    return pathFor(info, ref, this.namespace);
  }

  /** An object, or undefined when it (or its kind) does not exist. */
  async get(
    ref: ResourceRef & { name: string },
    options: CallOptions = {},
  ): Promise<KubeObject | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind, options);
    if (!info) return undefined;
    const text = await this.#transport.request("GET", pathFor(info, ref, this.namespace), {
      ...options,
      notFound: true,
    });
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** The objects of a kind; a kind the server does not serve lists as empty with `unknownKind`. */
  async list(query: ListQuery, options: CallOptions = {}): Promise<ListResult> {
    const info = await this.resource(query.apiVersion, query.kind, options);
    const none: ListResult = { items: [], resourceVersion: "", unknownKind: true };
    if (!info) return none;
    const path = withQuery(pathFor(info, { ...query, name: undefined }, this.namespace), {
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
    });
    const text = await this.#transport.request("GET", path, { ...options, notFound: true });
    if (text === undefined) {
      this.#discovery.invalidate(query.apiVersion);
      return none;
    }
    const list = JSON.parse(text) as KubeObject;
    const items = Array.isArray(list.items) ? (list.items as KubeObject[]) : [];
    for (const item of items) {
      item.apiVersion ??= query.apiVersion;
      item.kind ??= query.kind;
    }
    const metadata = (list.metadata ?? {}) as KubeObject;
    return { items, resourceVersion: String(metadata.resourceVersion ?? ""), unknownKind: false };
  }

  /** `GET /version`. */
  async version(options: CallOptions = {}): Promise<KubeObject> {
    return JSON.parse((await this.#transport.request("GET", "/version", options))!);
  }

  /** A raw GET returning text, e.g. `/api/v1/namespaces/N/pods/P:15020/proxy/stats/prometheus`. */
  async getText(path: string, options: CallOptions & { accept?: string } = {}): Promise<string> {
    return (await this.#transport.request("GET", path, { accept: "*/*", ...options }))!;
  }

  /**
   * `GET path` on a pod's port through a port-forward (port_forward.ts), for
   * what the pod serves on localhost only (ztunnel's admin API).
   */
  portForwardGet(
    target: PortForwardTarget,
    request: PortForwardRequest,
  ): Promise<PortForwardResponse> {
    return portForwardGet(
      (path, protocols, signal) => this.#transport.webSocket(path, protocols, signal),
      target,
      { timeoutMs: this.#transport.timeoutMs(), ...request },
    );
  }

  /** Server-side apply (`PATCH application/apply-patch+yaml`); returns the object as stored. */
  async apply(obj: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const meta = (obj.metadata ?? {}) as KubeObject;
    const ref = {
      apiVersion: String(obj.apiVersion ?? ""),
      kind: String(obj.kind ?? ""),
      namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
      name: typeof meta.name === "string" ? meta.name : "",
    };
    if (!ref.apiVersion || !ref.kind || !ref.name) {
      throw new TypeError(
        `Cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(ref)}`,
      );
    }
    const path = withQuery(await this.resourcePath(ref, options), {
      fieldManager: options.fieldManager,
      force: options.force ? "true" : undefined,
      dryRun: options.dryRun ? "All" : undefined,
    });
    const text = await this.#transport.request("PATCH", path, {
      ...options,
      body: JSON.stringify(obj),
      contentType: "application/apply-patch+yaml",
    });
    return JSON.parse(text!);
  }

  /** `POST`: creates an object; a 409 AlreadyExists is an {@link ApiError}. */
  async create(obj: KubeObject, options: CallOptions = {}): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.resourcePath({ ...ref, name: undefined }, options);
    const text = await this.#transport.request("POST", path, {
      ...options,
      body: JSON.stringify(obj),
    });
    return JSON.parse(text!);
  }

  /**
   * `PUT`: replaces an object; with `metadata.resourceVersion` set, only if
   * it is still that version (else a 409 Conflict {@link ApiError}).
   */
  async update(obj: KubeObject, options: CallOptions = {}): Promise<KubeObject> {
    const path = await this.resourcePath(refOf(obj), options);
    const text = await this.#transport.request("PUT", path, {
      ...options,
      body: JSON.stringify(obj),
    });
    return JSON.parse(text!);
  }

  /** A JSON merge patch (`application/merge-patch+json`); returns the object as stored. */
  async mergePatch(
    ref: ResourceRef & { name: string },
    patch: KubeObject,
    options: CallOptions = {},
  ): Promise<KubeObject> {
    const text = await this.#transport.request("PATCH", await this.resourcePath(ref, options), {
      ...options,
      body: JSON.stringify(patch),
      contentType: "application/merge-patch+json",
    });
    return JSON.parse(text!);
  }

  /** Deletes an object; undefined when it (or its kind) does not exist. */
  async delete(
    ref: ResourceRef & { name: string },
    options: DeleteOptions = {},
  ): Promise<KubeObject | undefined> {
    const info = await this.resource(ref.apiVersion, ref.kind, options);
    if (!info) return undefined;
    const path = withQuery(pathFor(info, ref, this.namespace), {
      dryRun: options.dryRun ? "All" : undefined,
    });
    const body = options.propagationPolicy
      ? JSON.stringify({
        kind: "DeleteOptions",
        apiVersion: "v1",
        propagationPolicy: options.propagationPolicy,
      })
      : undefined;
    const text = await this.#transport.request("DELETE", path, {
      ...options,
      body,
      contentType: "application/json",
      notFound: true,
    });
    return text === undefined ? undefined : JSON.parse(text);
  }

  /**
   * Lists (unless `resourceVersion` is given) and watches a kind until
   * `signal` aborts, then resolves. Resumes from the last resourceVersion
   * when a stream ends; relists on 410 Gone. Rejects on a failure that is not
   * transient (403, an unknown kind, ...).
   */
  watch(query: ListQuery, options: WatchOptions): Promise<void> {
    return runWatch({
      list: (signal) => this.list(query, { signal }),
      collectionPath: async (signal) =>
        withQuery(await this.resourcePath({ ...query, name: undefined }, { signal }), {
          labelSelector: query.labelSelector,
          fieldSelector: query.fieldSelector,
        }),
      open: (path, signal) =>
        this.#transport.send("GET", path, { signal, stream: true }) as Promise<Response>,
      statusError: (status, path) => errorFromStatus(status, this.#transport.site("GET", path)),
      unknownKind: () => new UnknownKindError(query.apiVersion, query.kind, this.server),
      timeoutMs: this.#transport.timeoutMs(),
      backoff: {
        baseMs: this.#options.retry?.baseMs ?? 500,
        maxDelayMs: this.#options.retry?.maxDelayMs ?? 10_000,
      },
    }, options);
  }

  /** Releases the HTTP clients; calls after this fail. */
  close(): void {
    this.#transport.close();
  }
}

function pathFor(info: ResourceInfo, ref: ResourceRef, defaultNamespace: string): string {
  const base = info.group === "" ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const namespace = info.namespaced
    ? ref.namespace ?? (ref.name ? defaultNamespace : undefined)
    : undefined;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : "";
  return `${base}${ns}/${info.plural}${name}`;
}

/** `path?k=v&...` with the defined values. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const text = q.toString();
  if (!text) return path;
  return `${path}${path.includes("?") ? "&" : "?"}${text}`;
}

function refOf(obj: KubeObject): ResourceRef & { name: string } {
  const meta = (obj.metadata ?? {}) as KubeObject;
  return {
    apiVersion: String(obj.apiVersion ?? ""),
    kind: String(obj.kind ?? ""),
    namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
    name: typeof meta.name === "string" ? meta.name : "",
  };
}
