/**
 * The one door to child processes. Everything the tool runs goes through an
 * injected `ProcessRunner`, with an argument array (never a shell string),
 * so a test can swap it and count what was spawned.
 *
 * Every child runs in its own session (so a terminal's Ctrl-C, sent to the
 * whole foreground process group, reaches meshup alone and never makes helm
 * cancel a release half-way) and under a deadline: on expiry the child's
 * process group is killed and the call fails naming the command.
 */
import { setPriority } from "node:os";

export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcOptions {
  /** written to the child's stdin (secrets travel here, never on argv) */
  stdin?: string;
  /** stops the child (SIGTERM to its process group) when aborted */
  signal?: AbortSignal;
  /** called with each chunk of stdout as it arrives (watches); stdout is then not kept */
  onStdout?: (chunk: string) => void;
  /** with `onStdout`, stdout is kept and returned as well */
  keepStdout?: boolean;
  /** yield the CPU to other work: the child runs at nice 10 */
  background?: boolean;
  /** this child's deadline (default: the runner's); 0 for none (a watch ended by `signal`) */
  timeoutMs?: number;
}

export interface ProcessRunner {
  run(argv: readonly string[], options?: ProcOptions): Promise<ProcResult>;
  /** the executable a tool resolves to, when it exists and may be executed; no process */
  locate?(tool: string): Promise<string | undefined>;
  /** the executable configured for a tool (a name looked up on PATH, or a path) */
  binaryOf?(tool: string): string;
}

/** Paths of the binaries; `kubectl` and `helm` on PATH by default. */
export interface Binaries {
  kubectl: string;
  helm: string;
}

export interface DenoProcessRunnerOptions {
  binaries?: Partial<Binaries>;
  env?: Record<string, string>;
  /** variables the children must not inherit (the secrets meshup reads from the environment) */
  withoutEnv?: readonly string[];
  /** the deadline of a child without its own (default 15 minutes) */
  timeoutMs?: number;
  /** after SIGTERM, how long a child has before SIGKILL (default 5 s) */
  killGraceMs?: number;
}

/** A child still running: what it is, for "what was left" after an interrupt. */
export interface RunningProcess {
  argv: readonly string[];
  pid: number;
  startedAt: number;
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/**
 * The Go garbage collector's target for helm, unless GOGC is set. helm
 * lives for seconds and allocates much as it starts (its Kubernetes type
 * registries) and as it renders: at Go's default (100) it collects many
 * times over a small heap. At 200 a release on the bench's critical path
 * is applied about 20-30 ms sooner, for about a quarter more peak memory
 * (`helm template` of a 3 MB chart: 97 -> 123 MB, 1.53 -> 1.37 s).
 */
export const HELM_GOGC = "200";

let gogcSet: boolean | undefined;
function inheritedGogc(): boolean {
  gogcSet ??= Deno.env.get("GOGC") !== undefined;
  return gogcSet;
}

/** Spawns real processes with Deno.Command and counts them per tool. */
export class DenoProcessRunner implements ProcessRunner {
  readonly #binaries: Binaries;
  readonly #env: Record<string, string> | undefined;
  readonly #withoutEnv: readonly string[];
  readonly #timeoutMs: number;
  readonly #killGraceMs: number;
  readonly #running = new Map<Deno.ChildProcess, RunningProcess>();
  readonly #resolved = new Map<string, string | undefined>();
  /** every argv spawned, in order (argv[0] is the tool name, not its path) */
  readonly spawned: string[][] = [];

  constructor(options: DenoProcessRunnerOptions = {}) {
    this.#binaries = { kubectl: "kubectl", helm: "helm", ...options.binaries };
    this.#env = options.env;
    this.#withoutEnv = options.withoutEnv ?? [];
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#killGraceMs = options.killGraceMs ?? 5_000;
  }

  binaryOf(tool: string): string {
    return tool === "kubectl" || tool === "helm" ? this.#binaries[tool] : tool;
  }

  locate(tool: string): Promise<string | undefined> {
    const bin = tool === "kubectl" || tool === "helm" ? this.#binaries[tool] : tool;
    return Promise.resolve(this.#candidates(bin).find(isExecutable));
  }

  /** Where `bin` may be: itself when it is a path, else each PATH entry's. */
  #candidates(bin: string): string[] {
    if (bin.includes("/")) return [bin];
    const path = this.#env?.PATH ?? Deno.env.get("PATH") ?? "";
    return path.split(":").filter(Boolean).map((d) => `${d}/${bin}`);
  }

  /** `bin` as an executable's path (looked up on PATH once), or undefined when there is none. */
  #resolve(bin: string): string | undefined {
    if (this.#resolved.has(bin)) return this.#resolved.get(bin);
    const found = this.#candidates(bin).find(isExecutable);
    this.#resolved.set(bin, found);
    return found;
  }

  /**
   * A child's environment: inherited, plus `env`, without `withoutEnv`;
   * helm gets `GOGC=${HELM_GOGC}` unless GOGC is set (see {@link HELM_GOGC}).
   */
  #childEnv(tool: string): { env?: Record<string, string>; clearEnv?: boolean } {
    const gc: Record<string, string> =
      tool === "helm" && this.#env?.GOGC === undefined && !inheritedGogc()
        ? { GOGC: HELM_GOGC }
        : {};
    if (this.#withoutEnv.length === 0) {
      return this.#env || "GOGC" in gc ? { env: { ...gc, ...this.#env } } : {};
    }
    const env = { ...Deno.env.toObject(), ...gc, ...this.#env };
    for (const name of this.#withoutEnv) delete env[name];
    return { env, clearEnv: true };
  }

  /** The children running now. */
  get running(): RunningProcess[] {
    return [...this.#running.values()];
  }

  async run(argv: readonly string[], options: ProcOptions = {}): Promise<ProcResult> {
    const [tool, ...args] = argv;
    const bin = tool === "kubectl" || tool === "helm" ? this.#binaries[tool] : tool;
    this.spawned.push([...argv]);
    // its own session and process group, out of the terminal's reach
    const session = setsidBinary();
    let command: [string, string[]];
    if (session) {
      const path = this.#resolve(bin);
      if (!path) throw new MissingBinaryError(tool, bin);
      command = [session, ["-w", path, ...args]];
    } else command = [bin, args];
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command[0], {
        args: command[1],
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        ...this.#childEnv(tool),
        // without setsid(1), the child calls setsid() itself (the option
        // node:child_process's `detached` uses), at the cost of a fork
        ...(session ? {} : { detached: true }),
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new MissingBinaryError(tool, bin);
      }
      throw e;
    }
    this.#running.set(child, { argv: [...argv], pid: child.pid, startedAt: Date.now() });
    if (options.background) lowerPriority(child.pid);
    let timedOut = false;
    const stop = (): void => this.#stop(child);
    options.signal?.addEventListener("abort", stop, { once: true });
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutMs)
      : undefined;
    try {
      if (options.stdin !== undefined) {
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(options.stdin)).catch(() => undefined);
        await w.close().catch(() => undefined);
      }
      const [stdout, stderr, status] = await Promise.all([
        collect(child.stdout, options.onStdout, options.keepStdout),
        collect(child.stderr),
        child.status,
      ]);
      if (timedOut) throw new ProcessTimeoutError(argv, { timeoutMs, stderr });
      return { code: status.code, stdout, stderr };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
      this.#running.delete(child);
    }
  }

  /**
   * Stops every running child (SIGTERM to its process group, SIGKILL after
   * the grace); returns what was running.
   */
  stopAll(): RunningProcess[] {
    const stopped = this.running;
    for (const child of [...this.#running.keys()]) this.#stop(child);
    return stopped;
  }

  #stop(child: Deno.ChildProcess): void {
    if (!this.#running.has(child)) return;
    signalGroup(child, "SIGTERM");
    const force = setTimeout(() => {
      if (this.#running.has(child)) signalGroup(child, "SIGKILL");
    }, this.#killGraceMs);
    child.status.finally(() => clearTimeout(force));
  }

  /** How many processes of `tool` (optionally with this subcommand) were spawned. */
  count(tool: string, subcommand?: string): number {
    return this.spawned.filter((a) =>
      a[0] === tool && (subcommand === undefined || a[1] === subcommand)
    ).length;
  }
}

/**
 * util-linux's setsid(1), when this system has it. A child spawned plainly
 * costs Deno about 0.4 ms; with `detached: true` Deno forks the whole
 * process first, which takes time in proportion to meshup's memory (1.4 ms
 * at start, 27 ms at 400 MB) and blocks everything else meanwhile. setsid(1),
 * spawned plainly, is never a process group leader, so it calls setsid() and
 * execs the command in its own place (same pid); `-w` makes it wait and pass
 * the exit status on should it ever have to fork. macOS and Windows have no
 * setsid(1): there the detached spawn is used.
 */
function setsidBinary(): string | undefined {
  if (setsidPath === null) {
    setsidPath = Deno.build.os === "linux"
      ? ["/usr/bin/setsid", "/bin/setsid"].find(isExecutable)
      : undefined;
  }
  return setsidPath;
}

let setsidPath: string | undefined | null = null;

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** A signal to the child's whole process group (it leads one), else to the child. */
function signalGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    Deno.kill(-child.pid, signal);
    return;
  } catch { /* no such group: signal the child itself */ }
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}

/** A child that outlived its deadline; it was killed. */
export class ProcessTimeoutError extends Error {
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  constructor(argv: readonly string[], options: { timeoutMs: number; stderr: string }) {
    const tail = options.stderr.trim().split("\n").slice(-3).join("\n");
    super(
      `Cannot finish "${argv.slice(0, 3).join(" ")}": no result within ${
        formatMs(options.timeoutMs)
      }, the process was stopped${tail ? `\n${tail}` : ""}`,
    );
    this.name = "ProcessTimeoutError";
    this.argv = argv;
    this.timeoutMs = options.timeoutMs;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Best effort: a child that could not be reniced runs at normal priority. */
function lowerPriority(pid: number): void {
  try {
    setPriority(pid, BACKGROUND_NICE);
  } catch { /* not permitted here: leave it */ }
}

const BACKGROUND_NICE = 10;

export class MissingBinaryError extends Error {
  readonly tool: string;
  constructor(tool: string, path: string) {
    super(`Cannot run "${tool}": executable "${path}" not found`);
    this.name = "MissingBinaryError";
    this.tool = tool;
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  onChunk?: (s: string) => void,
  keep = !onChunk,
): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    onChunk?.(text);
    if (keep) out += text;
  }
  return out;
}

/**
 * Splits a stream of concatenated JSON values (as `kubectl get -w -o json`
 * prints them, pretty-printed one after another) into parsed values.
 */
export class JsonStreamSplitter {
  #buf = "";
  #depth = 0;
  #inString = false;
  #escape = false;
  #start = -1;

  push(text: string): unknown[] {
    const out: unknown[] = [];
    const base = this.#buf.length;
    this.#buf += text;
    for (let i = base; i < this.#buf.length; i++) {
      const c = this.#buf[i];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === "\\") this.#escape = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') this.#inString = true;
      else if (c === "{" || c === "[") {
        if (this.#depth === 0) this.#start = i;
        this.#depth++;
      } else if (c === "}" || c === "]") {
        this.#depth--;
        if (this.#depth === 0 && this.#start >= 0) {
          out.push(JSON.parse(this.#buf.slice(this.#start, i + 1)));
          this.#start = -1;
        }
      }
    }
    if (this.#depth === 0) {
      this.#buf = "";
    } else if (this.#start > 0) {
      this.#buf = this.#buf.slice(this.#start);
      this.#start = 0;
    }
    return out;
  }
}
