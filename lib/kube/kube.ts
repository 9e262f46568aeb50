/**
 * Talks to the cluster through the real kubectl and helm, with argument
 * arrays, transient-failure retries and a `cmd` event for every command
 * (redacted), so a user can repeat any of them by hand.
 */
import type { KubeTarget } from "./argv.ts";
import { helmTarget, kubectlTarget, resourceArg } from "./argv.ts";
import { FINGERPRINT_KEY } from "../plan/fingerprint.ts";
import type { ObjectRef } from "../plan/plan.ts";
import type { ProcessRunner, ProcResult } from "./process.ts";
import type { Redactor } from "../output/redact.ts";
import { CommandError, isTransient, retry, type RetryInfo } from "./retry.ts";

export type Json = Record<string, unknown>;

export interface ReleaseState {
  name: string;
  namespace: string;
  revision: number;
  /** deployed, failed, pending-install, pending-upgrade, pending-rollback, superseded, uninstalling */
  status: string;
  fingerprint?: string;
}

export interface CommandHooks {
  /** a command is about to run (argv redacted) */
  onCommand?(argv: string[]): void;
  onRetry?(info: RetryInfo): void;
  signal?: AbortSignal;
}

export interface KubeOptions {
  proc: ProcessRunner;
  target: KubeTarget;
  redactor: Redactor;
  /** retry tuning, for tests */
  retry?: { baseMs?: number; maxAttempts?: number; totalCapMs?: number };
}

export class Kube {
  readonly proc: ProcessRunner;
  readonly target: KubeTarget;
  readonly redactor: Redactor;
  readonly #retry: KubeOptions["retry"];

  constructor(options: KubeOptions) {
    this.proc = options.proc;
    this.target = options.target;
    this.redactor = options.redactor;
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
    options: CommandHooks & { stdin?: string; allowFailure?: boolean } = {},
  ): Promise<ProcResult> {
    const shown = this.redactor.redactArgv(argv);
    return await retry(async () => {
      options.onCommand?.(shown);
      const r = await this.proc.run(argv, { stdin: options.stdin, signal: options.signal });
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

  async getJson(args: string[], hooks: CommandHooks = {}): Promise<Json> {
    const r = await this.exec(this.kubectlArgv("get", ...args, "-o", "json"), hooks);
    return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
  }

  /** One object, or undefined when it does not exist. */
  async getObject(ref: ObjectRef, hooks: CommandHooks = {}): Promise<Json | undefined> {
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

  /** The objects of a manifest file that exist (`kubectl get -f`). */
  async getManifestObjects(
    file: string,
    options: CommandHooks & { namespace?: string } = {},
  ): Promise<Json[] | undefined> {
    const { namespace, ...hooks } = options;
    const ns = namespace ? [`--namespace=${namespace}`] : [];
    const r = await this.exec(
      this.kubectlArgv("get", "-f", file, ...ns, "--ignore-not-found", "-o", "json"),
      { ...hooks, allowFailure: true },
    );
    // a kind the server does not know (its CRD is gone) has no objects
    if (r.code !== 0) {
      return /no matches for kind|resource mapping not found/.test(r.stderr) ? [] : undefined;
    }
    const out = r.stdout.trim();
    if (out === "") return [];
    const parsed = JSON.parse(out) as Json;
    return parsed.kind === "List" ? (parsed.items as Json[]) : [parsed];
  }

  /**
   * Every Helm release's latest revision, status and fingerprint, from one
   * `kubectl get secrets -A -l owner=helm` (helm stores labels there).
   */
  async releases(hooks: CommandHooks = {}): Promise<Map<string, ReleaseState>> {
    const list = await this.getJson(["secrets", "--all-namespaces", "-l", "owner=helm"], hooks);
    const out = new Map<string, ReleaseState>();
    for (const item of (list.items ?? []) as Json[]) {
      const meta = item.metadata as { namespace: string; labels?: Record<string, string> };
      const labels = meta.labels ?? {};
      if (!labels.name || !labels.version) continue;
      const state: ReleaseState = {
        name: labels.name,
        namespace: meta.namespace,
        revision: Number(labels.version),
        status: labels.status ?? "unknown",
        ...(labels[FINGERPRINT_KEY] ? { fingerprint: labels[FINGERPRINT_KEY] } : {}),
      };
      const key = `${state.namespace}/${state.name}`;
      const prev = out.get(key);
      if (!prev || prev.revision < state.revision) out.set(key, state);
    }
    return out;
  }

  /** Installed chart version of a release (`helm list`), for `--reuse-values` upgrades. */
  async installedChartVersion(
    release: string,
    namespace: string,
    hooks: CommandHooks = {},
  ): Promise<string | undefined> {
    const r = await this.exec(
      this.helmArgv(
        "list",
        "--namespace",
        namespace,
        "--filter",
        `^${escapeRegex(release)}$`,
        "-o",
        "json",
      ),
      hooks,
    );
    const list = JSON.parse(r.stdout || "[]") as { name: string; chart: string }[];
    const chart = list.find((x) => x.name === release)?.chart;
    const m = chart ? /-(v?\d+\.\d+\.\d+[^\s]*)$/.exec(chart) : null;
    return m?.[1];
  }

  async crdExists(name: string, hooks: CommandHooks = {}): Promise<boolean> {
    const r = await this.exec(
      this.kubectlArgv("get", "customresourcedefinition", name, "--ignore-not-found", "-o", "name"),
      hooks,
    );
    return r.stdout.trim() !== "";
  }

  /** Pods and events of namespaces, for diagnosis; failures give empty lists. */
  async podsAndEvents(
    namespaces: string[],
    hooks: CommandHooks = {},
  ): Promise<{ pods: Json[]; events: Json[] }> {
    const pods: Json[] = [];
    const events: Json[] = [];
    for (const ns of namespaces) {
      try {
        pods.push(
          ...((await this.getJson(["pods", `--namespace=${ns}`], hooks)).items as Json[] ?? []),
        );
        events.push(
          ...((await this.getJson(["events", `--namespace=${ns}`], hooks)).items as Json[] ?? []),
        );
      } catch {
        // diagnosis is best effort
      }
    }
    return { pods, events };
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
