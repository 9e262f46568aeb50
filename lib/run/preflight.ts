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
  // a probe process costs the critical path ~0.1 s: where the runner can look a
  // tool up, it is found on disk and its executable's header checked for this
  // machine instead (a binary for another architecture is the home lab's classic)
  const probe = (name: "kubectl" | "helm", argv: string[]): Promise<void> =>
    kube.proc.locate
      ? kube.proc.locate(name).then(async (found) => {
        if (!found) throw new MissingBinaryError(name, kube.proc.binaryOf?.(name) ?? name);
        const problem = await executableProblem(found);
        if (problem) {
          throw new InputError(
            `Cannot run "${name}": "${found}" ${problem}`,
            `install ${name} for this machine or point MESHUP_${name.toUpperCase()} at it`,
          );
        }
      }).catch((e) => tool([name], e))
      : tool(argv);
  await Promise.all([
    probe("kubectl", ["kubectl", "version", "--client", "-o", "json"]),
    probe("helm", ["helm", "version", "--short"]),
    reachable(),
  ]);
}

/** ELF machine numbers of the architectures Deno runs on. */
const ELF_MACHINE: Record<string, number> = { x86_64: 0x3e, aarch64: 0xb7 };

/**
 * Why an executable cannot run on this machine, from its first bytes: an
 * ELF binary for another architecture, or a file that is no program at all.
 * Scripts (`#!`) and Mach-O binaries are taken as they are.
 */
export async function executableProblem(path: string): Promise<string | undefined> {
  let head: Uint8Array;
  try {
    using file = await Deno.open(path);
    head = new Uint8Array(20);
    const n = await file.read(head) ?? 0;
    head = head.subarray(0, n);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
  if (head[0] === 0x23 && head[1] === 0x21) return undefined; // #!
  const magic = new DataView(head.buffer, head.byteOffset, head.length);
  if (head.length >= 4 && [0xfeedfacf, 0xcffaedfe, 0xcafebabe].includes(magic.getUint32(0))) {
    return undefined; // Mach-O (macOS)
  }
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c) {
    return "is not an executable program";
  }
  const machine = magic.getUint16(18, head[5] === 1);
  const want = ELF_MACHINE[Deno.build.arch];
  if (want !== undefined && machine !== want) {
    return `is built for another architecture (ELF machine 0x${
      machine.toString(16)
    }, this is ${Deno.build.arch})`;
  }
  return undefined;
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
