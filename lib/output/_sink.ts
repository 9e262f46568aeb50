/**
 * The options every view takes and the sink they write through: redacted,
 * coloured or not, to stdout/stderr or to injected writers.
 */
import type { RunEvent } from "./events.ts";
import type { Redactor } from "./redact.ts";
import { type Colors, colors } from "./_text.ts";

export type OutputMode = "tty" | "plain" | "json";

export interface OutputOptions {
  /** stdout (default: `Deno.stdout`) */
  write?: (s: string) => void;
  /** stderr, for `error()` (default: `Deno.stderr`) */
  writeError?: (s: string) => void;
  /** the clock for elapsed times in the TTY view (default: `new Date()`) */
  now?: () => Date;
  /** ANSI colours (default: in `tty` mode unless `NO_COLOR` is set) */
  color?: boolean;
  /** show the commands run (`cmd` events) */
  verbose?: boolean;
  redactor?: Redactor;
  /** plain timestamps in UTC rather than local time */
  utc?: boolean;
  /**
   * TTY spinner period in ms; 0 disables the timer (call `tick()` instead).
   * Default: 100 when writing to the real stdout, 0 with an injected `write`.
   */
  spinnerMs?: number;
  /** TTY width (default: the console's, else 100) */
  columns?: number;
  /** TTY height: the live tree is folded to fit (default: the console's, else 24) */
  rows?: number;
}

/** What `error()` reports besides its message. */
export interface ErrorDetails {
  /** the command to run next */
  hint?: string;
  /** the exit code the command ends with (default 2: bad input or refused) */
  code?: number;
}

export interface Output {
  emit(e: RunEvent): void;
  /** stops the spinner and leaves the terminal as it should be; idempotent */
  close(): void;
  /**
   * `error: <message>` and `  hint: <hint>` on stderr; in `json` mode also
   * `{"type":"error","code","message","hint"}` on stdout.
   */
  error(message: string, details?: ErrorDetails): void;
  /** free text for the user (stderr in `json` mode, so stdout stays NDJSON) */
  print(text: string): void;
  /** advances the TTY spinner and redraws; a no-op in other modes */
  tick(): void;
}

/** Event fields that hold one of a fixed set of words, never user data. */
const VOCABULARY: ReadonlySet<string> = new Set([
  "type",
  "time",
  "kind",
  "action",
  "outcome",
  "status",
  "level",
]);

/** Where text goes: redacted, coloured or not. */
export class Sink {
  readonly colors: Colors;
  #write: (s: string) => void;
  #writeError: (s: string) => void;
  #redactor: Redactor | undefined;

  constructor(mode: OutputMode, options: OutputOptions) {
    this.#write = options.write ?? writeStdout;
    this.#writeError = options.writeError ?? writeStderr;
    this.#redactor = options.redactor;
    this.colors = colors(options.color ?? (mode === "tty" && !noColor()));
  }

  out(text: string): void {
    if (text !== "") this.#write(this.#redact(text));
  }

  /** Text whose strings were already redacted one by one (NDJSON): written as it is. */
  outRedacted(text: string): void {
    if (text !== "") this.#write(text);
  }

  err(text: string): void {
    if (text !== "") this.#writeError(this.#redact(text));
  }

  /**
   * The event with every string value redacted, except the fields whose
   * values are our own vocabulary (`type`, `action`, `status`, ...): a
   * secret that happens to equal one must not break the event's shape.
   */
  event(e: RunEvent): RunEvent {
    return this.#redactor ? this.#redactor.redactValue(e, { keep: VOCABULARY }) : e;
  }

  /** A string redacted on its own, as one value. */
  redact(text: string): string {
    return this.#redact(text);
  }

  errorText(message: string, hint?: string): string {
    const c = this.colors;
    let text = `${c.red(c.bold("error"))}: ${message}\n`;
    if (hint) text += `  ${c.cyan("hint")}: ${hint}\n`;
    return text;
  }

  #redact(text: string): string {
    return this.#redactor ? this.#redactor.redact(text) : text;
  }
}

function noColor(): boolean {
  return Deno.noColor;
}

const encoder = new TextEncoder();

/** Set once the reader went away (`meshup up | head`): further output is dropped. */
let pipeClosed = false;

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  if (pipeClosed) return;
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    pipeClosed = true;
  }
}

function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

function writeStderr(text: string): void {
  writeAll(Deno.stderr, text);
}
