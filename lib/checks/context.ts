/**
 * What a check may use: the config, its options, a clock, and the reads.
 * Every read a check does of the cluster (and of the local kubectl and helm)
 * goes through the methods of `CheckContext` below, so that moving them to
 * another client changes this file alone. Reads are memoised per run: checks
 * that need the same object share one command.
 *
 * A check is a small object `{ id, title, run(ctx) }` in its family module;
 * `doctor/mod.ts` and `verify/mod.ts` list them in order.
 */
import type { Check, CheckOutcome } from "./common.ts";
import { Memo } from "./common.ts";
import type { Config } from "../config/config.ts";
import type { CommandHooks, Json, Kube } from "../kube/kube.ts";
import { JsonStreamSplitter } from "../kube/process.ts";
import { CommandError } from "../kube/retry.ts";
import type { ObjectRef } from "../plan/plan.ts";
import { kubectlPortForwardGet } from "../kube/kubectl_port_forward.ts";
import type { PortForwardResponse } from "../kube/port_forward.ts";

/** One check: its body reads through the context and returns a verdict. */
export interface CheckDef<O extends object = object> {
  /** stable, kebab-case: `k8s-version`, `gateway-selector` */
  id: string;
  /** short, for people: `k8s version` */
  title: string;
  /** false leaves the check out for this config (default: it always runs) */
  appliesTo?: (config: Config) => boolean;
  run: (ctx: CheckContext<O>) => Promise<CheckOutcome>;
}

export interface CheckContextOptions<O extends object> {
  /** passed to every command (`onCommand` to show them, `signal` to stop) */
  hooks?: CommandHooks;
  /** the current time (default: the clock) */
  now?: Date;
  /** the family's own options (verify: fetch, address, host, timeout) */
  options?: O;
}

/** A kind to list. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export const NODE: KindRef = { apiVersion: "v1", kind: "Node" };
export const POD: KindRef = { apiVersion: "v1", kind: "Pod" };
export const EVENT: KindRef = { apiVersion: "v1", kind: "Event" };

/** Without a namespace: every namespace. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

/** A port of a pod. */
export interface PodPort {
  namespace: string;
  pod: string;
  port: number;
}

/** The API server's version, or why it could not be reached. */
export type ServerInfo =
  | { ok: true; gitVersion: string; platform: string }
  | { ok: false; error: string };

/** The current context from the kubeconfig, or why it could not be read. */
export type KubeconfigView =
  | { ok: true; view: Json }
  | { ok: false; error: string };

/** What a SelfSubjectAccessReview asks about. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

/** kubectl's words for a kind the server does not serve. */
const UNKNOWN_KIND = /doesn't have a resource type|no matches for kind|resource mapping not found/;

export class CheckContext<O extends object = object> {
  readonly config: Config;
  readonly options: O;
  readonly #kube: Kube;
  readonly #hooks: CommandHooks;
  readonly #now: Date | undefined;
  readonly #memo = new Memo();

  constructor(kube: Kube, config: Config, init: CheckContextOptions<O> = {}) {
    this.#kube = kube;
    this.config = config;
    this.options = init.options ?? ({} as O);
    this.#hooks = init.hooks ?? {};
    this.#now = init.now;
  }

  /** Stops the commands and requests of this run. */
  get signal(): AbortSignal | undefined {
    return this.#hooks.signal;
  }

  now(): Date {
    return this.#now ?? new Date();
  }

  // ---------------------------------------------------------- cluster reads

  /** One object, or undefined when it does not exist or its kind is not served. */
  get(ref: ObjectRef): Promise<Json | undefined> {
    const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
    return this.#memo.once(`get:${key}`, async () => {
      try {
        return await this.#kube.getObject(ref, this.#hooks);
      } catch (e) {
        // the kind itself is not served (its CRD is missing): no such object
        if (e instanceof CommandError && UNKNOWN_KIND.test(e.stderr)) return undefined;
        throw e;
      }
    });
  }

  /** The objects of a kind (memoised); a kind the server does not serve has none. */
  list(kind: KindRef, options: ListOptions = {}): Promise<Json[]> {
    const query = { ...kind, ...options };
    return this.#memo.once(
      `list:${JSON.stringify(query)}`,
      () => this.#kube.list(query, this.#hooks),
    );
  }

  /**
   * `GET path` on a pod's port through the API server's pod proxy
   * (`pods/P:PORT/proxy/...`): what the pod serves on its own address.
   */
  podProxyText(target: PodPort, path: string): Promise<string> {
    const raw = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${
      encodeURIComponent(target.pod)
    }:${target.port}/proxy${path}`;
    const api = this.#kube.api;
    if (api) {
      this.#hooks.onCommand?.(["GET", raw, "(pod proxy)"]);
      return api.getText(raw, { signal: this.signal });
    }
    return this.#kube.exec(this.#kube.kubectlArgv("get", "--raw", raw), this.#hooks)
      .then((r) => r.stdout);
  }

  /**
   * `GET path` on a pod's port through a port-forward, for what a pod serves
   * on localhost only (ztunnel's admin API), as `kubectl port-forward` and
   * istioctl reach it; memoised. Shown under `--verbose`. The in-process
   * client opens the port-forward itself (a WebSocket); without it, this is
   * `kubectl port-forward` on a free local port.
   */
  portForwardGet(target: PodPort, path: string): Promise<PortForwardResponse> {
    const key = `pf:${target.namespace}/${target.pod}:${target.port}${path}`;
    return this.#memo.once(key, () => {
      const api = this.#kube.api;
      if (!api) {
        const argv = this.#kube.kubectlArgv(
          "port-forward",
          "-n",
          target.namespace,
          `pod/${target.pod}`,
          `:${target.port}`,
          "--address",
          "127.0.0.1",
        );
        this.#hooks.onCommand?.([...argv, `(then GET ${path})`]);
        return kubectlPortForwardGet(this.#kube.proc, argv, target, { path, signal: this.signal });
      }
      this.#hooks.onCommand?.([
        "port-forward",
        "-n",
        target.namespace,
        `pod/${target.pod}`,
        String(target.port),
        `(in-process, then GET ${path})`,
      ]);
      return api.portForwardGet(target, { path, signal: this.signal });
    });
  }

  crdExists(name: string): Promise<boolean> {
    return this.#memo.once(`crd:${name}`, () => this.#kube.crdExists(name, this.#hooks));
  }

  /** `kubectl version` against the server, once; never throws for a dead server. */
  version(): Promise<ServerInfo> {
    return this.#memo.once("server-version", async (): Promise<ServerInfo> => {
      const api = this.#kube.api;
      if (api) {
        try {
          const v = await api.version({ signal: this.signal });
          return { ok: true, gitVersion: String(v.gitVersion), platform: String(v.platform ?? "") };
        } catch (e) {
          return { ok: false, error: (e as Error).message };
        }
      }
      const r = await this.#kube.exec(
        this.#kube.kubectlArgv("version", "-o", "json", "--request-timeout=15s"),
        { ...this.#hooks, allowFailure: true },
      );
      const sv = parseJsonLoose(r.stdout)?.serverVersion as Json | undefined;
      if (r.code === 0 && sv && typeof sv.gitVersion === "string") {
        return { ok: true, gitVersion: sv.gitVersion, platform: String(sv.platform ?? "") };
      }
      return { ok: false, error: lastLine(r.stderr) || `exit code ${r.code}` };
    });
  }

  /**
   * Asks the server what the current user may do (SelfSubjectAccessReviews,
   * answered without being stored); the reviews come back with `status`.
   */
  async reviewAccess(attributes: readonly ResourceAttributes[]): Promise<Json[]> {
    const body = {
      apiVersion: "v1",
      kind: "List",
      items: attributes.map((a) => ({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: {
            verb: a.verb,
            group: a.group,
            resource: a.resource,
            ...(a.namespace ? { namespace: a.namespace } : {}),
          },
        },
      })),
    };
    const r = await this.#kube.exec(
      this.#kube.kubectlArgv("create", "-f", "-", "-o", "json"),
      { ...this.#hooks, stdin: JSON.stringify(body) },
    );
    return new JsonStreamSplitter().push(r.stdout).flatMap((v) => {
      const o = v as Json;
      return o.kind === "List" ? (o.items as Json[] ?? []) : [o];
    });
  }

  // ------------------------------------------------------ local tools

  /** kubectl's own version (`gitVersion`), undefined when it prints none. */
  async kubectlVersion(): Promise<string | undefined> {
    const r = await this.#kube.exec(
      this.#kube.kubectlArgv("version", "--client", "-o", "json"),
      this.#hooks,
    );
    const client = ((parseJsonLoose(r.stdout)?.clientVersion ?? {}) as Json).gitVersion;
    return typeof client === "string" ? client : undefined;
  }

  /** helm's version line (`v4.1.0+g…`), empty when it prints none. */
  async helmVersion(): Promise<string> {
    const r = await this.#kube.exec(["helm", "version", "--short"], this.#hooks);
    return r.stdout.trim().split("\n")[0] ?? "";
  }

  /** The kubeconfig as kubectl sees it for the target context (`config view --minify`). */
  async kubeconfigView(): Promise<KubeconfigView> {
    const r = await this.#kube.exec(
      this.#kube.kubectlArgv("config", "view", "--minify", "-o", "json"),
      { ...this.#hooks, allowFailure: true },
    );
    if (r.code !== 0) {
      return {
        ok: false,
        error: lastLine(r.stderr) || `kubectl config view failed (exit code ${r.code})`,
      };
    }
    return { ok: true, view: parseJsonLoose(r.stdout) ?? {} };
  }

  /** The context named by the config or `--context`, if any. */
  get contextName(): string | undefined {
    return this.#kube.target.context;
  }
}

/** The checks that apply to the config, bound to one context, for `runChecks`. */
export function bindChecks<O extends object>(
  defs: readonly CheckDef<O>[],
  ctx: CheckContext<O>,
): Check[] {
  return defs.filter((d) => d.appliesTo?.(ctx.config) ?? true)
    .map((d) => ({ id: d.id, title: d.title, run: () => d.run(ctx) }));
}

function parseJsonLoose(text: string): Json | undefined {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" ? v as Json : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "";
}
