/**
 * The one door to child processes. Everything the tool runs goes through an
 * injected `ProcessRunner`, with an argument array (never a shell string),
 * so a test can swap it and count what was spawned.
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
  signal?: AbortSignal;
  /** called with each chunk of stdout as it arrives (watches) */
  onStdout?: (chunk: string) => void;
  /** yield the CPU to other work: the child runs at nice 10 */
  background?: boolean;
}

export interface ProcessRunner {
  run(argv: readonly string[], options?: ProcOptions): Promise<ProcResult>;
}

/** Paths of the binaries; `kubectl` and `helm` on PATH by default. */
export interface Binaries {
  kubectl: string;
  helm: string;
}

/** Spawns real processes with Deno.Command and counts them per tool. */
export class DenoProcessRunner implements ProcessRunner {
  readonly #binaries: Binaries;
  readonly #env: Record<string, string> | undefined;
  /** every argv spawned, in order (argv[0] is the tool name, not its path) */
  readonly spawned: string[][] = [];

  constructor(options: { binaries?: Partial<Binaries>; env?: Record<string, string> } = {}) {
    this.#binaries = { kubectl: "kubectl", helm: "helm", ...options.binaries };
    this.#env = options.env;
  }

  async run(argv: readonly string[], options: ProcOptions = {}): Promise<ProcResult> {
    const [tool, ...args] = argv;
    const bin = tool === "kubectl" || tool === "helm" ? this.#binaries[tool] : tool;
    this.spawned.push([...argv]);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(bin, {
        args,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        ...(this.#env ? { env: this.#env } : {}),
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new MissingBinaryError(tool, bin);
      }
      throw e;
    }
    if (options.background) lowerPriority(child.pid);
    const onAbort = (): void => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.stdin !== undefined) {
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(options.stdin));
        await w.close();
      }
      const [stdout, stderr, status] = await Promise.all([
        collect(child.stdout, options.onStdout),
        collect(child.stderr),
        child.status,
      ]);
      return { code: status.code, stdout, stderr };
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** How many processes of `tool` (optionally with this subcommand) were spawned. */
  count(tool: string, subcommand?: string): number {
    return this.spawned.filter((a) =>
      a[0] === tool && (subcommand === undefined || a[1] === subcommand)
    ).length;
  }
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
): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    if (onChunk) onChunk(text);
    else out += text;
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
