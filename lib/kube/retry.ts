/**
 * Which command failures are worth retrying, and a deterministic capped
 * exponential backoff to retry them with. Time is injected (`sleep`, `now`)
 * and every wait honours an `AbortSignal`.
 */

/** What a failed command left behind. */
export interface Failure {
  exitCode?: number;
  stderr: string;
}

export interface Classification {
  transient: boolean;
  /** why (a short phrase), or what the failure looks like when not transient */
  reason: string;
}

export interface TransientOptions {
  /**
   * The API server answered earlier in this run, so "connection refused"
   * means it is restarting rather than a wrong kubeconfig.
   */
  serverSeen?: boolean;
}

interface Pattern {
  test: RegExp;
  reason: string;
}

const TRANSIENT: Pattern[] = [
  {
    test: /too many requests|\(TooManyRequests\)|(?:status|code)[: =]*429\b/i,
    reason: "rate limited (429)",
  },
  {
    test:
      /\(InternalError\)|\binternal error\b|status code:? 50\d\b|\b50[0234] (?:internal server error|bad gateway|service unavailable|gateway timeout)/i,
    reason: "server error (5xx)",
  },
  {
    test: /the server is currently unable to handle the request|\bServiceUnavailable\b/i,
    reason: "server unavailable (503)",
  },
  {
    test: /the server was unable to return a response in the time allotted|\(Timeout\)/i,
    reason: "server timeout (504)",
  },
  {
    test: /failed calling webhook/i,
    reason: "admission webhook not reachable yet",
  },
  { test: /etcdserver: (?:leader changed|request timed out)/i, reason: "etcd leader change" },
  {
    test: /another operation \(install\/upgrade\/rollback\) is in progress/i,
    reason: "another helm operation in progress",
  },
  { test: /connection reset by peer/i, reason: "connection reset" },
  // hyper, under Deno's fetch: the server closed a kept-alive connection mid-request
  { test: /connection closed before message completed/i, reason: "connection closed" },
  { test: /http2: client connection lost|http2: server sent GOAWAY/i, reason: "connection lost" },
  { test: /\bi\/o timeout\b/i, reason: "i/o timeout" },
  { test: /TLS handshake timeout/i, reason: "TLS handshake timeout" },
  { test: /\bbroken pipe\b/i, reason: "connection lost" },
];

const EOF_LINE = /: (?:unexpected )?EOF\b/;
const NOT_NETWORK_EOF = /yaml|json|pars(?:e|ing)|decod/i;
const REFUSED = /connection refused|connection to the server \S+ was refused/i;

/**
 * Classifies a failed kubectl or helm call: 429, 5xx, `failed calling
 * webhook`, etcd leader changes, dropped connections and helm's "another
 * operation is in progress" are transient; anything else is not.
 */
export function isTransient(failure: Failure, options: TransientOptions = {}): Classification {
  const { exitCode, stderr } = failure;
  if (exitCode === 0) return { transient: false, reason: "succeeded" };
  if (exitCode === 126 || exitCode === 127) {
    return { transient: false, reason: exitCode === 127 ? "command not found" : "not executable" };
  }
  for (const pattern of TRANSIENT) {
    if (pattern.test.test(stderr)) return { transient: true, reason: pattern.reason };
  }
  for (const line of stderr.split("\n")) {
    if (EOF_LINE.test(line) && !NOT_NETWORK_EOF.test(line)) {
      return { transient: true, reason: "connection closed (EOF)" };
    }
  }
  if (REFUSED.test(stderr)) {
    return options.serverSeen
      ? { transient: true, reason: "connection refused (API server restarting)" }
      : { transient: false, reason: "connection refused" };
  }
  return { transient: false, reason: firstLine(stderr) || `exit code ${exitCode ?? "unknown"}` };
}

/** A `retry()` classifier for `CommandError`s: the reason when transient. */
export function transientCommandError(error: unknown): string | undefined {
  if (!(error instanceof CommandError)) return undefined;
  const verdict = isTransient({ exitCode: error.exitCode ?? undefined, stderr: error.stderr });
  return verdict.transient ? verdict.reason : undefined;
}

export interface RetryInfo {
  /** the attempt that failed, from 1 */
  attempt: number;
  /** the pause before the next attempt */
  delayMs: number;
  reason: string;
}

export interface RetryOptions {
  /** the reason to retry, or undefined to rethrow at once */
  isRetryable(error: unknown): string | undefined;
  /** first delay (default 500 ms), doubled after each attempt */
  baseMs?: number;
  /** largest single delay (default 10 s) */
  maxDelayMs?: number;
  /** attempts in all, the first included (default 6) */
  maxAttempts?: number;
  /** no retry starts once this much time has passed since the first attempt (default 60 s) */
  totalCapMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** a seeded random source in [0, 1): delays become `d/2 + rng()*d/2`; none means no jitter */
  rng?: () => number;
  onRetry?(info: RetryInfo): void;
}

/**
 * Calls `fn` until it succeeds, retrying failures that `isRetryable` names
 * with capped exponential backoff; a failure that is not retryable, the last
 * attempt's failure, or one that would overrun `totalCapMs` is rethrown as is.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const baseMs = options.baseMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const totalCapMs = options.totalCapMs ?? 60_000;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const { signal } = options;
  const start = now();
  for (let attempt = 1;; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = options.isRetryable(error);
      if (reason === undefined || attempt >= maxAttempts) throw error;
      const delayMs = backoffDelay(attempt, { baseMs, maxDelayMs, rng: options.rng });
      if (now() - start + delayMs > totalCapMs) throw error;
      options.onRetry?.({ attempt, delayMs, reason });
      await sleep(delayMs, signal);
    }
  }
}

export interface BackoffOptions {
  baseMs: number;
  maxDelayMs: number;
  rng?: () => number;
}

/** The pause after failed attempt `attempt` (from 1): `base * 2^(attempt-1)`, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponential = options.baseMs * 2 ** Math.max(0, attempt - 1);
  const delay = Math.min(options.maxDelayMs, exponential);
  if (!options.rng) return delay;
  return Math.round(delay / 2 + options.rng() * (delay / 2));
}

/** A `setTimeout` sleep that rejects with the signal's reason when aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface CommandErrorOptions {
  /** null when killed by a signal */
  exitCode: number | null;
  /** stderr of the command (only its tail is kept) */
  stderr: string;
  signal?: string;
  /** lines of stderr to keep (default 10) */
  tailLines?: number;
}

const EXIT_CODE_INFO: Record<number, string> = {
  126: "Invoked command cannot execute",
  127: "Command not found",
  130: "Interrupt",
  137: "Kill (terminate immediately)",
  143: "Termination (request to terminate)",
};

/** Characters of stderr kept at most, whatever the line count. */
const MAX_TAIL_CHARS = 4000;

/**
 * A command that exited non-zero: the (already redacted) argv, its exit code
 * and the tail of its stderr, formatted like zx's exit message.
 */
export class CommandError extends Error {
  /** already redacted */
  readonly argv: string[];
  readonly exitCode: number | null;
  readonly signal: string | undefined;
  /** the last lines of stderr */
  readonly stderr: string;

  constructor(argv: readonly string[], options: CommandErrorOptions) {
    const tail = stderrTail(options.stderr, options.tailLines ?? 10);
    super(formatExitMessage(argv, { ...options, stderr: tail }));
    this.name = "CommandError";
    this.argv = [...argv];
    this.exitCode = options.exitCode;
    this.signal = options.signal;
    this.stderr = tail;
  }
}

/**
 * `Command failed: ARGV`, then `exit code: N (info)`, the signal if any, and
 * the stderr tail, each indented under it.
 */
export function formatExitMessage(argv: readonly string[], options: CommandErrorOptions): string {
  const lines = [`Command failed: ${formatArgv(argv)}`];
  const info = options.exitCode === null ? undefined : EXIT_CODE_INFO[options.exitCode];
  lines.push(`    exit code: ${options.exitCode ?? "none"}${info ? ` (${info})` : ""}`);
  if (options.signal) lines.push(`    signal: ${options.signal}`);
  const tail = stderrTail(options.stderr, options.tailLines ?? 10);
  if (tail) {
    lines.push("    stderr:");
    for (const line of tail.split("\n")) lines.push(`      ${line}`);
  }
  return lines.join("\n");
}

/** The last `lines` non-empty lines of a stream, trimmed at the end. */
export function stderrTail(stderr: string, lines = 10): string {
  const kept = stderr.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trimEnd())
    .filter((l) => l !== "").slice(-lines).join("\n");
  return kept.length > MAX_TAIL_CHARS ? `…${kept.slice(-MAX_TAIL_CHARS)}` : kept;
}

/** argv as a shell would read it: words with special characters single-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

function quoteArg(arg: string): string {
  if (arg !== "" && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function firstLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
}
