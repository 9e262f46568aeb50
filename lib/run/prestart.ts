/**
 * A helm process started before its step may act, held at a gate.
 *
 * helm spends its first 100-150 ms starting (the Go runtime, its kube
 * client, the release's history, loading the chart) before it reads its
 * values files, and reads nothing of the cluster's other objects before
 * then: its history (`GET /version`, the release's Secrets) is all. A
 * release on the critical path is therefore started while the release
 * before it becomes ready, with one more values file last on its command
 * line: a named pipe (FIFO), on which helm waits. When the step acts, the
 * pipe gets `{}` (no values: the real ones are in the files before it) and
 * helm carries on from there; the pipe is then replaced by a plain file
 * holding `{}`, so that the command announced is the one that ran and can
 * be repeated by hand. When the step does not act, helm is stopped without
 * having changed anything. Where a FIFO cannot be made (no `mkfifo`,
 * Windows), nothing is started early.
 *
 * @module
 */

import type { ProcessRunner, ProcResult } from "../kube/process.ts";

/** A started process waiting at its gate. */
export class PrestartedCommand {
  readonly argv: readonly string[];
  readonly #gate: string;
  readonly #result: Promise<ProcResult>;
  readonly #stop: AbortController;
  readonly #stdout: { to?: (chunk: string) => void };
  #used = false;

  private constructor(
    argv: readonly string[],
    gate: string,
    result: Promise<ProcResult>,
    stop: AbortController,
    stdout: { to?: (chunk: string) => void },
  ) {
    this.argv = argv;
    this.#gate = gate;
    this.#result = result;
    this.#stop = stop;
    this.#stdout = stdout;
    // an early end (helm failing before its gate) is read by go(); never unhandled
    result.catch(() => undefined);
  }

  /**
   * Makes the FIFO `gate`, then starts `argv` + `-f gate`; undefined when
   * no FIFO can be made here. `signal` stops the process (like any run
   * command's); `timeoutMs` is its deadline, the wait at the gate included.
   */
  static async start(
    proc: ProcessRunner,
    argv: readonly string[],
    gate: string,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<PrestartedCommand | undefined> {
    if (Deno.build.os === "windows" || !(await makeFifo(gate))) return undefined;
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const full = [...argv, "--values", gate];
    // its stdout goes to whoever opens the gate (go), from then on
    const stdout: { to?: (chunk: string) => void } = {};
    const result = proc.run(full, {
      signal,
      onStdout: (chunk) => stdout.to?.(chunk),
      keepStdout: true,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    return new PrestartedCommand(full, gate, result, stop, stdout);
  }

  /**
   * Opens the gate and returns the process's result; undefined when the
   * process ended before it read its gate (stopped, or failed before it
   * began): then nothing of it happened, and the caller starts it anew.
   * `onStdout` gets its stdout from now on.
   */
  async go(onStdout?: (chunk: string) => void): Promise<ProcResult | undefined> {
    if (this.#used) throw new Error("a prestarted command runs once");
    this.#used = true;
    this.#stdout.to = onStdout;
    const opening = Deno.open(this.#gate, { write: true });
    const first = await Promise.race([
      opening.then((file) => ({ file })),
      this.#result.then((result) => ({ result }), (error: unknown) => ({ error })),
    ]);
    if (!("file" in first)) {
      // nobody reads the gate: pair our pending open with a reader of our own
      const reader = await Deno.open(this.#gate, { read: true });
      (await opening).close();
      reader.close();
      await this.#settleGate();
      return undefined;
    }
    try {
      await first.file.write(new TextEncoder().encode("{}\n"));
    } catch {
      // the reader is gone (it was stopped): its result says so
    } finally {
      first.file.close();
    }
    // helm holds its end open as long as it reads: the name can take the plain file now
    await this.#settleGate();
    return await this.#result;
  }

  /**
   * Stops the process at its gate (it changed nothing) and removes the
   * gate; false when it was already taken.
   */
  async cancel(): Promise<boolean> {
    if (this.#used) return false;
    this.#used = true;
    this.#stop.abort();
    await this.#result.catch(() => undefined);
    await this.#removeGate();
    return true;
  }

  async #removeGate(): Promise<void> {
    await Deno.remove(this.#gate).catch(() => undefined);
  }

  /** The pipe becomes a plain file with what it gave, as a kept values file. */
  async #settleGate(): Promise<void> {
    await this.#removeGate();
    await Deno.writeTextFile(this.#gate, "{}\n");
  }
}

/** `mkfifo PATH`; false when that cannot be done here. */
async function makeFifo(path: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("mkfifo", {
      args: ["-m", "600", path],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(5_000),
    }).output();
    return r.success;
  } catch {
    return false;
  }
}
