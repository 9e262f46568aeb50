/**
 * What a run proves once, just before its first change (a run that changes
 * nothing needs none of it): kubectl and helm found and runnable, the
 * context's API server answering, and the run lock held. Any of them
 * missing is an `InputError` (exit 2) with nothing applied.
 */
import { InputError } from "../errors.ts";
import type { Kube } from "../kube/kube.ts";
import { MissingBinaryError, ProcessTimeoutError } from "../kube/process.ts";
import type { RunLock } from "./lock.ts";

export interface PreflightOptions {
  /** the context's name, for messages */
  context: string;
  /** each probe's deadline (default 15 s) */
  timeoutMs?: number;
  /** a probe is about to run */
  onCommand?(argv: string[]): void;
  signal?: AbortSignal;
}

/** kubectl and helm runnable, the API server answering; throws `InputError` otherwise. */
export async function preflight(kube: Kube, options: PreflightOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const tool = async (argv: string[], failure?: unknown): Promise<void> => {
    const name = argv[0];
    try {
      if (failure) throw failure;
      options.onCommand?.(argv);
      const r = await kube.proc.run(argv, { timeoutMs, signal: options.signal });
      if (r.code !== 0) {
        throw new InputError(
          `Cannot run "${argv.join(" ")}": exit code ${r.code}: ${
            r.stderr.trim().split("\n").at(-1) ?? ""
          }`,
          `check the ${name} binary (MESHUP_${name.toUpperCase()} or PATH)`,
        );
      }
    } catch (e) {
      if (e instanceof MissingBinaryError) {
        throw new InputError(
          e.message,
          `install ${e.tool} or point MESHUP_${e.tool.toUpperCase()} at it`,
        );
      }
      if (e instanceof ProcessTimeoutError) {
        throw new InputError(e.message, `check the ${name} binary: ${argv.join(" ")}`);
      }
      throw e;
    }
  };
  const reachable = async (): Promise<void> => {
    try {
      if (kube.api) await kube.api.version({ timeoutMs, signal: options.signal });
      else {await kube.exec(kube.kubectlArgv("get", "--raw", "/version"), {
          signal: options.signal,
        });}
    } catch (e) {
      if (options.signal?.aborted) throw e;
      const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw new InputError(
        `Cannot reach the cluster of context "${options.context}": ${detail}`,
        `check it with: kubectl --context ${options.context} get --raw /readyz`,
      );
    }
  };
  // with the in-process client serving the context, a run may need no kubectl process
  // at all: then kubectl is only looked up, not started
  const kubectl = kube.api && kube.proc.locate
    ? kube.proc.locate("kubectl").then((found) => {
      if (!found) throw new MissingBinaryError("kubectl", "kubectl");
    }).catch((e) => tool(["kubectl"], e))
    : tool(["kubectl", "version", "--client", "-o", "json"]);
  await Promise.all([
    kubectl,
    tool(["helm", "version", "--short"]),
    reachable(),
  ]);
}

/**
 * The gate of a run's first change: preflight, then the lock, once; every
 * later caller shares the result. A refusal is kept for the CLI to report.
 */
export class ChangeGate {
  readonly #kube: Kube;
  readonly #lock: RunLock;
  readonly #options: PreflightOptions;
  #entered?: Promise<void>;
  #refusal?: InputError;

  constructor(kube: Kube, lock: RunLock, options: PreflightOptions) {
    this.#kube = kube;
    this.#lock = lock;
    this.#options = options;
  }

  /** Why the run may not change anything, once a caller was refused. */
  get refusal(): InputError | undefined {
    return this.#refusal;
  }

  /** Whether the gate was opened (preflight passed, lock taken). */
  get opened(): boolean {
    return this.#lock.held;
  }

  /** Preflight and lock, on the first call; rejects (with an `InputError`) when refused. */
  enter(): Promise<void> {
    this.#entered ??= (async () => {
      try {
        await preflight(this.#kube, this.#options);
        await this.#lock.acquire(this.#options.signal);
      } catch (e) {
        if (e instanceof InputError) this.#refusal = e;
        throw e;
      }
    })();
    return this.#entered;
  }

  /** Hands the lock back (when it was taken). */
  release(): Promise<void> {
    return this.#lock.release();
  }
}
