/**
 * The only module that writes to the console. It renders the runner's typed
 * events (`events.ts`) in one of three views:
 *
 * - `json` (`ndjson.ts`): one `JSON.stringify(event)` per line, nothing else on stdout;
 * - `plain` (`plain.ts`, CI, not a terminal): timestamped lines, throttled wait
 *   progress, a summary table;
 * - `tty` (`tty.ts`): a live task → step tree redrawn in place, finished tasks
 *   collapsed to one line above it.
 *
 * Every string written passes through the redactor, if one is given.
 */
import { type Output, type OutputMode, type OutputOptions, Sink } from "./_sink.ts";
import { JsonView } from "./ndjson.ts";
import { PlainView } from "./plain.ts";
import { TtyView } from "./tty.ts";

export type { Output, OutputMode, OutputOptions } from "./_sink.ts";
export { formatDuration } from "./_text.ts";

/** Creates the view for a mode. */
export function createOutput(mode: OutputMode, options: OutputOptions = {}): Output {
  const sink = new Sink(mode, options);
  if (mode === "json") return new JsonView(sink);
  if (mode === "plain") return new PlainView(sink, options);
  return new TtyView(sink, options);
}
