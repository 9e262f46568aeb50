/**
 * The `json` view: one `JSON.stringify(event)` per line, nothing else on
 * stdout. Secrets are redacted inside the string values before the event is
 * serialised, never in the serialised text (that could break the JSON).
 * Errors are events too: `{"type":"error","code","message","hint"}`.
 */
import type { RunEvent } from "./events.ts";
import type { ErrorDetails, Output, Sink } from "./_sink.ts";
import { withNewline } from "./_text.ts";

export class JsonView implements Output {
  #sink: Sink;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  emit(e: RunEvent): void {
    this.#sink.outRedacted(JSON.stringify(this.#sink.event(e)) + "\n");
  }

  close(): void {}

  error(message: string, details: ErrorDetails = {}): void {
    this.emit({
      type: "error",
      time: new Date().toISOString(),
      code: details.code ?? 2,
      message,
      ...(details.hint ? { hint: details.hint } : {}),
    });
    this.#sink.err(this.#sink.errorText(message, details.hint));
  }

  print(text: string): void {
    this.#sink.err(withNewline(text));
  }

  tick(): void {}
}
