/** The `json` view: one `JSON.stringify(event)` per line, nothing else on stdout. */
import type { RunEvent } from "./events.ts";
import type { Output, Sink } from "./_sink.ts";
import { withNewline } from "./_text.ts";

export class JsonView implements Output {
  #sink: Sink;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  emit(e: RunEvent): void {
    this.#sink.out(JSON.stringify(this.#sink.event(e)) + "\n");
  }

  close(): void {}

  error(message: string, hint?: string): void {
    this.#sink.err(this.#sink.errorText(message, hint));
  }

  print(text: string): void {
    this.#sink.err(withNewline(text));
  }

  tick(): void {}
}
