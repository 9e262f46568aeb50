/**
 * What surrounds a mutating run: Ctrl-C handling (`_interrupts.ts`) and the
 * gate of its first change (preflight and the cluster's run lock,
 * lib/run/preflight.ts), released when the run ends.
 */
import type { Kube } from "../kube/kube.ts";
import type { ProcessRunner, RunningProcess } from "../kube/process.ts";
import type { RunEvent } from "../output/events.ts";
import { currentHolder, RunLock } from "../run/lock.ts";
import { ChangeGate } from "../run/preflight.ts";
import { Interrupts } from "./_interrupts.ts";

export interface RunSessionOptions {
  kube: Kube;
  /** the context's name, for messages */
  context: string;
  /** the command line, recorded as the lock's holder */
  command: string;
  emit(event: RunEvent): void;
  /** free text for the user */
  print(text: string): void;
  /** like a first Ctrl-C (tests) */
  signal?: AbortSignal;
  /** like a second Ctrl-C (tests) */
  killSignal?: AbortSignal;
  /** the Lease's duration (tests shorten it) */
  leaseDurationSeconds?: number;
}

export class RunSession {
  readonly interrupts: Interrupts;
  readonly gate: ChangeGate;
  #lost?: string;

  constructor(options: RunSessionOptions) {
    const proc = options.kube.proc;
    const log = (level: "info" | "warn", message: string): void =>
      options.emit({ type: "log", time: new Date().toISOString(), level, message });
    this.interrupts = new Interrupts({
      signal: options.signal,
      killSignal: options.killSignal,
      onFirst: () =>
        options.print(
          "Interrupted: starting nothing new; running helm and kubectl commands finish (Ctrl-C again stops them)\n",
        ),
      onSecond: () => {
        const left = stopChildren(proc);
        options.print(
          left.length === 0
            ? "Stopping: no command was running\n"
            : `Stopping ${left.length} running command(s): ${
              left.map((p) => `"${p.argv.slice(0, 3).join(" ")}"`).join(", ")
            }; a release they leave pending-* is repaired by the next run\n`,
        );
      },
    });
    const lock = new RunLock(options.kube, {
      holder: currentHolder(options.command),
      ...(options.leaseDurationSeconds
        ? { leaseDurationSeconds: options.leaseDurationSeconds }
        : {}),
      onNotice: log,
      onLost: (message) => {
        this.#lost = message;
        log("warn", `Stopping: ${message}; starting nothing new`);
        this.interrupts.stopNewWork();
      },
    });
    this.gate = new ChangeGate(options.kube, lock, {
      context: options.context,
      signal: this.interrupts.signal,
      // the probes are announced like every other command
      onCommand: (argv) =>
        options.emit({
          type: "cmd",
          time: new Date().toISOString(),
          task: "preflight",
          step: "tools",
          argv,
        }),
    });
  }

  /** The run's `signal`, `killSignal` and `beforeChange`. */
  runOptions(): {
    signal: AbortSignal;
    killSignal: AbortSignal;
    beforeChange: () => Promise<void>;
  } {
    return {
      signal: this.interrupts.signal,
      killSignal: this.interrupts.killSignal,
      beforeChange: () =>
        this.gate.enter().catch((e) => {
          // refused: nothing was changed; start nothing else either
          this.interrupts.stopNewWork();
          throw e;
        }),
    };
  }

  /** Why the lock was lost during the run, if it was. */
  get lost(): string | undefined {
    return this.#lost;
  }

  /** Stops handling Ctrl-C and hands the lock back. */
  async close(): Promise<void> {
    this.interrupts.close();
    await this.gate.release();
  }
}

function stopChildren(proc: ProcessRunner): RunningProcess[] {
  const runner = proc as ProcessRunner & { stopAll?: () => RunningProcess[] };
  return runner.stopAll ? runner.stopAll() : [];
}
