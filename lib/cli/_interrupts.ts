/**
 * Ctrl-C during a run. The first starts nothing new and lets running helm
 * and kubectl finish (so no release is left `failed` by us); the second
 * stops them. Children run in their own sessions (process.ts), so the
 * terminal's SIGINT reaches meshup alone and only meshup decides.
 */

/** The exit code of an interrupted run. */
export const EXIT_INTERRUPTED = 130;

export interface InterruptOptions {
  /** aborts like a first Ctrl-C (tests) */
  signal?: AbortSignal;
  /** aborts like a second Ctrl-C (tests) */
  killSignal?: AbortSignal;
  /** the first Ctrl-C: say so */
  onFirst(): void;
  /** the second: stop the children, say what was left */
  onSecond(): void;
}

/** A run's two levels of interruption, from SIGINT or from the caller's signals. */
export class Interrupts {
  /** aborted by the first Ctrl-C: start nothing new, stop waiting */
  readonly #stop = new AbortController();
  /** aborted by the second: stop running commands */
  readonly #kill = new AbortController();
  readonly #options: InterruptOptions;
  #listening = false;
  #interrupted = false;
  readonly #onSigint = (): void => this.#next();

  constructor(options: InterruptOptions) {
    this.#options = options;
    options.signal?.addEventListener("abort", () => this.#first(), { once: true });
    options.killSignal?.addEventListener("abort", () => this.#second(), { once: true });
  }

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  get killSignal(): AbortSignal {
    return this.#kill.signal;
  }

  /** Whether Ctrl-C (or the caller's signal) interrupted the run. */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** Stops new work without it being an interrupt (a refused lock, a lost lock). */
  stopNewWork(): void {
    this.#stop.abort();
  }

  /** Handles SIGINT from now on (until `close`). */
  listen(): void {
    if (this.#listening) return;
    Deno.addSignalListener("SIGINT", this.#onSigint);
    this.#listening = true;
  }

  close(): void {
    if (!this.#listening) return;
    Deno.removeSignalListener("SIGINT", this.#onSigint);
    this.#listening = false;
  }

  #next(): void {
    if (!this.#interrupted) this.#first();
    else this.#second();
  }

  #first(): void {
    if (this.#interrupted) return;
    this.#interrupted = true;
    this.#stop.abort();
    this.#options.onFirst();
  }

  #second(): void {
    if (this.#kill.signal.aborted) return;
    this.#first();
    this.#kill.abort();
    this.#options.onSecond();
  }
}
