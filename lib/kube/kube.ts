/**
 * The cluster as the rest of meshup sees it. Reads, lists and watches go
 * through the in-process API client when the kubeconfig allows one (no
 * process per read); otherwise, and for helm and every change a user may
 * want to repeat by hand, through the real kubectl and helm with argument
 * arrays, transient-failure retries and a `cmd` event per command.
 */
import type { KubeTarget } from "./argv.ts";
import { helmTarget, kubectlTarget, resourceArg, resourceType, shellQuote } from "./argv.ts";
import type { KubeClient } from "./client.ts";
import { FIELD_MANAGER } from "../plan/fingerprint.ts";
import type { ObjectRef } from "../plan/plan.ts";
import type { ProcessRunner, ProcResult } from "./process.ts";
import type { Redactor } from "../output/redact.ts";
import { CommandError, isTransient, retry, type RetryInfo } from "./retry.ts";
import { kubectlWatch, kubectlWatchArgv, type WatchHandler } from "./_kubectl_watch.ts";
import { latestReleases, type ReleaseState } from "./releases.ts";
import { applyWaves } from "./apply_waves.ts";
import {
  dryRunInProcess,
  type DryRunOptions,
  dryRunOutput,
  kubectlDryRunApplyArgv,
} from "./dry_run.ts";

export type Json = Record<string, unknown>;
export type { ReleaseState } from "./releases.ts";

export interface CommandHooks {
  /** a command is about to run (argv redacted) */
  onCommand?(argv: string[]): void;
  onRetry?(info: RetryInfo): void;
  signal?: AbortSignal;
  /** off the critical path: child processes run at a lower CPU priority */
  background?: boolean;
  /** each child process's deadline (default: the process runner's) */
  timeoutMs?: number;
}

/** A kind to list: every namespace unless `namespace` is given. */
export interface KindQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface KubeOptions {
  proc: ProcessRunner;
  target: KubeTarget;
  redactor: Redactor;
  /** the in-process API client; without one, reads run kubectl */
  api?: KubeClient;
  /** retry tuning, for tests */
  retry?: { baseMs?: number; maxAttempts?: number; totalCapMs?: number };
}

export class Kube {
  readonly proc: ProcessRunner;
  readonly target: KubeTarget;
  readonly redactor: Redactor;
  readonly api: KubeClient | undefined;
  readonly #retry: KubeOptions["retry"];

  constructor(options: KubeOptions) {
    this.proc = options.proc;
    this.target = options.target;
    this.redactor = options.redactor;
    this.api = options.api;
    this.#retry = options.retry;
  }

  /** kubectl with the target's context/kubeconfig appended. */
  kubectlArgv(...args: string[]): string[] {
    return ["kubectl", ...args, ...kubectlTarget(this.target)];
  }

  helmArgv(...args: string[]): string[] {
    return ["helm", ...args, ...helmTarget(this.target)];
  }

  /**
   * Runs a command; transient failures (429, 5xx, resets, webhooks not up
   * yet, "another operation in progress" when `ownPending` allows) are
   * retried with capped backoff; anything else throws `CommandError`.
   */
  async exec(
    argv: readonly string[],
    options: CommandHooks & {
      stdin?: string;
      allowFailure?: boolean;
      /** each chunk of the command's stdout as it comes (the result has it all too) */
      onStdout?: (chunk: string) => void;
      /**
       * the first attempt is this process, started earlier (prestart.ts);
       * undefined from it (it ended before it began), a retry and anything
       * else spawn anew
       */
      started?: () => Promise<ProcResult | undefined>;
    } = {},
  ): Promise<ProcResult> {
    const shown = this.redactor.redactArgv(argv);
    let started = options.started;
    return await retry(async () => {
      options.onCommand?.(shown);
      const first = started;
      started = undefined;
      const r = (first ? await first() : undefined) ?? await this.proc.run(argv, {
        stdin: options.stdin,
        signal: options.signal,
        ...(options.onStdout ? { onStdout: options.onStdout, keepStdout: true } : {}),
        ...(options.background ? { background: true } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
      if (r.code !== 0 && !options.allowFailure) {
        throw new CommandError(shown, { exitCode: r.code, stderr: this.redactor.redact(r.stderr) });
      }
      return r;
    }, {
      isRetryable: (e) => {
        if (!(e instanceof CommandError)) return undefined;
        const v = isTransient({ exitCode: e.exitCode ?? undefined, stderr: e.stderr });
        return v.transient ? v.reason : undefined;
      },
      signal: options.signal,
      onRetry: options.onRetry,
      baseMs: this.#retry?.baseMs ?? 500,
      maxAttempts: this.#retry?.maxAttempts ?? 6,
      totalCapMs: this.#retry?.totalCapMs ?? 60_000,
    });
  }

  /** `kubectl get ARGS -o json`, parsed (kubectl only: for what the client does not model). */
  async getJson(args: string[], hooks: CommandHooks = {}): Promise<Json> {
    const r = await this.exec(this.kubectlArgv("get", ...args, "-o", "json"), hooks);
    return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
  }

  /** One object, or undefined when it (or its kind) does not exist. */
  async getObject(ref: ObjectRef, hooks: CommandHooks = {}): Promise<Json | undefined> {
    if (this.api) return await this.api.get(ref, callOptions(hooks));
    const r = await this.exec(
      this.kubectlArgv(
        "get",
        resourceArg(ref),
        ...(ref.namespace ? [`--namespace=${ref.namespace}`] : []),
        "--ignore-not-found",
        "-o",
        "json",
      ),
      hooks,
    );
    return r.stdout.trim() === "" ? undefined : JSON.parse(r.stdout);
  }

  /**
   * The objects of a kind; a kind the server does not serve has none.
   * Without `namespace`, every namespace.
   */
  async list(query: KindQuery, hooks: CommandHooks = {}): Promise<Json[]> {
    if (this.api) return (await this.api.list(query, callOptions(hooks))).items;
    const argv = this.kubectlArgv(
      "get",
      resourceType(query),
      ...(query.namespace ? [`--namespace=${query.namespace}`] : ["--all-namespaces"]),
      ...(query.labelSelector ? ["-l", query.labelSelector] : []),
      ...(query.fieldSelector ? [`--field-selector=${query.fieldSelector}`] : []),
      "-o",
      "json",
    );
    try {
      const r = await this.exec(argv, hooks);
      return r.stdout.trim() === "" ? [] : (JSON.parse(r.stdout).items ?? []) as Json[];
    } catch (e) {
      if (e instanceof CommandError && UNKNOWN_KIND.test(e.stderr)) return [];
      throw e;
    }
  }

  /**
   * The objects of a step that exist: with the client one read each, side
   * by side; else `kubectl get -f FILE` (`file` writes it). Undefined when
   * unreadable.
   */
  async liveObjects(
    refs: readonly ObjectRef[],
    options: CommandHooks & { file: () => Promise<string>; namespace?: string },
  ): Promise<Json[] | undefined> {
    const { file, namespace, ...hooks } = options;
    if (this.api) {
      const found = await Promise.all(refs.map((ref) => this.getObject(ref, hooks)));
      return found.filter((o): o is Json => o !== undefined);
    }
    const ns = namespace ? [`--namespace=${namespace}`] : [];
    const r = await this.exec(
      this.kubectlArgv("get", "-f", await file(), ...ns, "--ignore-not-found", "-o", "json"),
      { ...hooks, allowFailure: true },
    );
    // a kind the server does not know (its CRD is gone) has no objects
    if (r.code !== 0) return UNKNOWN_KIND.test(r.stderr) ? [] : undefined;
    const out = r.stdout.trim();
    if (out === "") return [];
    const parsed = JSON.parse(out) as Json;
    return parsed.kind === "List" ? (parsed.items as Json[]) : [parsed];
  }

  /**
   * Server-side apply of objects, kind by kind (apply_waves.ts), under
   * meshup's field manager with conflicts forced: what `argv` (`kubectl
   * apply --server-side -f FILE`) does, announced as that command so a user
   * can repeat it; without the client, `argv` itself runs. An object
   * without a namespace of a namespaced kind takes its ref's.
   */
  async applyObjects(
    objects: readonly Json[],
    options: CommandHooks & { argv: readonly string[]; refs: readonly ObjectRef[] },
  ): Promise<void> {
    const { argv, refs: _, ...hooks } = options;
    const api = this.api;
    if (!api) {
      await this.exec(argv, hooks);
      return;
    }
    const applyOne = async (i: number): Promise<void> => {
      const obj = objects[i];
      const meta = (obj.metadata ?? {}) as Json;
      const ref = options.refs[i];
      let body = obj;
      if (!meta.namespace && ref?.namespace) {
        const info = await api.resource(ref.apiVersion, ref.kind, { signal: options.signal });
        if (info?.namespaced) body = { ...obj, metadata: { ...meta, namespace: ref.namespace } };
      }
      await api.apply(body, {
        fieldManager: FIELD_MANAGER,
        force: true,
        ...callOptions(options),
      });
    };
    await this.#inProcess(argv, hooks, async () => {
      for (const wave of applyWaves(objects)) {
        // all of a wave is sent; the first failure, in file order, is the step's
        const results = await Promise.allSettled(wave.map(applyOne));
        const failed = results.find((r) => r.status === "rejected");
        if (failed) throw (failed as PromiseRejectedResult).reason;
      }
    });
  }

  /**
   * What server-side apply of `objects` with conflicts forced would store
   * (`dryRun=All`, nothing changes), one object each, in order: in process
   * side by side, else `kubectl apply --server-side --dry-run=server`.
   */
  async dryRunApply(
    objects: readonly Json[],
    options: CommandHooks & DryRunOptions,
  ): Promise<Json[]> {
    if (this.api) return await dryRunInProcess(this.api, objects, options);
    const argv = kubectlDryRunApplyArgv(await options.file(), { ...options, target: this.target });
    return dryRunOutput(await this.exec(argv, options));
  }

  /**
   * Does in process what `argv` would do, announced as `argv`; a failure
   * is worded like a failed kubectl, with the server's answer for stderr.
   */
  async #inProcess(
    argv: readonly string[],
    hooks: CommandHooks,
    fn: () => Promise<unknown>,
  ): Promise<void> {
    const shown = this.redactor.redactArgv(argv);
    hooks.onCommand?.(shown);
    try {
      await fn();
    } catch (e) {
      if (hooks.signal?.aborted) throw e;
      throw Object.assign(
        new Error(
          `Command failed: ${shellQuote(shown)} (in process)\n${
            this.redactor.redact((e as Error).message)
          }`,
        ),
        { hint: (e as { hint?: string }).hint },
      );
    }
  }

  /**
   * Sets (or, with null, removes) labels on one object: a merge patch
   * through the client, announced as `argv` (`kubectl label`); without the
   * client, `argv` itself runs.
   */
  async label(
    ref: ObjectRef,
    labels: Record<string, string | null>,
    options: CommandHooks & { argv: readonly string[] },
  ): Promise<void> {
    const { argv, ...hooks } = options;
    if (!this.api) {
      await this.exec(argv, hooks);
      return;
    }
    const api = this.api;
    await this.#inProcess(
      argv,
      hooks,
      () => api.mergePatch(ref, { metadata: { labels } }, callOptions(hooks)),
    );
  }

  /**
   * Every Helm release's latest revision, status and fingerprint, from one
   * list of the release Secrets (`owner=helm`; helm stores labels there).
   */
  async releases(hooks: CommandHooks = {}): Promise<Map<string, ReleaseState>> {
    const items = await this.list(
      { apiVersion: "v1", kind: "Secret", labelSelector: "owner=helm" },
      hooks,
    );
    return await latestReleases(items);
  }

  async crdExists(name: string, hooks: CommandHooks = {}): Promise<boolean> {
    const crd = await this.getObject({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name,
    }, hooks);
    return crd !== undefined;
  }

  /** A pod's last log lines (`kubectl logs --tail`), for diagnosis. */
  async podLogTail(pod: ObjectRef, lines: number, hooks: CommandHooks = {}): Promise<string> {
    const path = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/log?tailLines=${lines}`;
    if (this.api) return await this.api.getText(path, callOptions(hooks));
    const argv = ["logs", `--tail=${lines}`, `pod/${pod.name}`, `--namespace=${pod.namespace}`];
    return (await this.exec(this.kubectlArgv(...argv), hooks)).stdout;
  }

  /** Pods and events of namespaces, for diagnosis; failures give empty lists. */
  async podsAndEvents(
    namespaces: string[],
    hooks: CommandHooks = {},
  ): Promise<{ pods: Json[]; events: Json[] }> {
    const lists = await Promise.all(
      namespaces.flatMap((namespace) =>
        ["Pod", "Event"].map((kind) =>
          this.list({ apiVersion: "v1", kind, namespace }, hooks).catch(() => [] as Json[])
        )
      ),
    );
    return {
      pods: lists.filter((_, i) => i % 2 === 0).flat(),
      events: lists.filter((_, i) => i % 2 === 1).flat(),
    };
  }

  /**
   * Watches the objects of a kind (one namespace, or one name) until
   * `signal` aborts: with the client, one resumable watch; else `kubectl get
   * --watch`, restarted when it ends.
   */
  async watch(
    query: KindQuery,
    options: { signal: AbortSignal; onObject: WatchHandler; onCommand?: (argv: string[]) => void },
  ): Promise<void> {
    if (this.api) {
      await this.api.watch(query, {
        signal: options.signal,
        onEvent: (type, obj) => options.onObject(type, obj),
      }).catch((e) => {
        if (!options.signal.aborted) throw e;
      });
      return;
    }
    await kubectlWatch(this.proc, kubectlWatchArgv(query, this.target), options);
  }
}

function callOptions(
  hooks: CommandHooks,
): { signal?: AbortSignal; onRetry?(info: RetryInfo): void } {
  return {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}),
  };
}

const UNKNOWN_KIND =
  /no matches for kind|resource mapping not found|doesn't have a resource type|the server could not find the requested resource/;
