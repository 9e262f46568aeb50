import { assertEquals, assertStringIncludes, assertThrows } from "../../_assert.ts";
import { type CliOptions, parseArgs } from "../../../lib/cli/args.ts";
import { InputError } from "../../../lib/errors.ts";
import type { Task } from "../../../lib/plan/task.ts";
import { TASKS } from "../../../Taskfile.ts";

function options(args: string[], tasks: readonly Task[] = TASKS): { options: CliOptions } {
  const parsed = parseArgs(args, { tasks });
  if (!("options" in parsed)) throw new Error(`expected options, got text:\n${parsed.print}`);
  return parsed;
}

function inputError(args: string[]): InputError {
  return assertThrows(() => parseArgs(args, { tasks: TASKS }), InputError);
}

Deno.test("a target with every run flag parses into the CliOptions main() uses", () => {
  const { options: o } = options([
    "istio:base",
    "--config",
    "c.yaml",
    "--context=lab",
    "--only",
    "--force",
    "--dry-run",
    "--json",
    "--verbose",
    "--timeout",
    "5m",
    "--concurrency",
    "8",
    "--timeline",
    "t.md",
    "--fix",
  ]);
  assertEquals(o, {
    command: "run",
    target: "istio:base",
    config: "c.yaml",
    context: "lab",
    only: true,
    force: true,
    dryRun: true,
    json: true,
    timeoutSeconds: 300,
    yes: false,
    concurrency: 8,
    out: "render",
    address: undefined,
    host: undefined,
    strict: false,
    format: "mermaid",
    verbose: true,
    fix: true,
    purgeCrds: false,
    timeline: "t.md",
    exitCode: false,
  });
});

Deno.test("diff takes a target, --json and --exit-code, and refuses the flags of a run that changes", () => {
  const o = options(["diff", "telemetry", "--json", "--exit-code", "--only"]).options;
  assertEquals([o.command, o.target, o.json, o.exitCode, o.only], [
    "diff",
    "telemetry",
    true,
    true,
    true,
  ]);
  assertEquals(options(["diff"]).options.target, "up");
  assertEquals(options(["diff"]).options.exitCode, false);
  assertStringIncludes(inputError(["diff", "--force"]).message, 'Unknown option "--force"');
  assertStringIncludes(inputError(["up", "--exit-code"]).message, 'Unknown option "--exit-code"');
});

Deno.test("no command means plan of up, and flags may come before the command", () => {
  assertEquals(options([]).options.command, "plan");
  assertEquals(options([]).options.target, "up");
  const o = options(["--json", "--config", "x.yaml", "plan", "kiali"]).options;
  assertEquals([o.command, o.target, o.json, o.config], ["plan", "kiali", true, "x.yaml"]);
  assertEquals(options(["--only"]).options.only, true);
});

Deno.test("down, render, graph and verify keep their own flags", () => {
  const down = options(["down", "bookinfo", "--yes", "--purge-crds"]).options;
  assertEquals([down.command, down.target, down.yes, down.purgeCrds], [
    "down",
    "bookinfo",
    true,
    true,
  ]);
  assertEquals(options(["down"]).options.target, "up");
  assertEquals(options(["render", "--out", "dir"]).options.out, "dir");
  assertEquals(options(["graph", "--format", "dot"]).options.format, "dot");
  const verify = options(["verify", "--address", "10.0.0.1:80", "--host", "b.example.com"]).options;
  assertEquals([verify.address, verify.host], ["10.0.0.1:80", "b.example.com"]);
  assertEquals(verify.strict, false);
  assertEquals(options(["verify", "--strict"]).options.strict, true);
});

Deno.test("an unknown command exits 2 with a did-you-mean from the commands and targets", () => {
  const e = inputError(["istio:istoid"]);
  assertEquals(e.message, 'Unknown command "istio:istoid"');
  assertStringIncludes(e.hint ?? "", 'did you mean "istio:istiod"?');
  assertStringIncludes(inputError(["pln"]).hint ?? "", 'did you mean "plan"?');
});

Deno.test("an unknown flag names the command and suggests the closest of its flags", () => {
  const e = inputError(["up", "--forse"]);
  assertEquals(e.message, 'Unknown option "--forse" for "up"');
  assertStringIncludes(e.hint ?? "", 'did you mean "--force"?');
  assertStringIncludes(e.hint ?? "", "deno task up --help");
  // a flag another command has is still unknown here: doctor acts on no target
  assertEquals(inputError(["doctor", "--only"]).message, 'Unknown option "--only" for "doctor"');
  assertEquals(inputError(["up", "--yes"]).message, 'Unknown option "--yes" for "up"');
});

Deno.test("bad flag values are input errors with a hint", () => {
  assertEquals(inputError(["up", "--timeout", "soon"]).message, 'Invalid --timeout "soon"');
  assertEquals(inputError(["up", "--concurrency", "0"]).message, 'Invalid --concurrency "0"');
  assertEquals(inputError(["up", "--concurrency", "1.5"]).message, 'Invalid --concurrency "1.5"');
  assertEquals(inputError(["graph", "--format", "png"]).message, 'Invalid --format "png"');
  assertEquals(inputError(["render", "--out", "--only"]).message, 'Missing value for "--out"');
  assertEquals(inputError(["render", "--out"]).message, 'Missing value for "--out"');
  assertEquals(inputError(["plan", "a", "b"]).message, 'Too many arguments for "plan"');
  assertEquals(inputError(["up", "extra"]).message, 'Too many arguments for "up"');
});

Deno.test("--help, -h and help print text for the program and for each command", () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const r = parseArgs(args, { tasks: TASKS });
    if (!("print" in r)) throw new Error(`${args} did not print`);
    assertStringIncludes(r.print, "Commands:");
  }
  for (const args of [["up", "--help"], ["up", "-h"], ["help", "up"], ["--help", "up"]]) {
    const r = parseArgs(args, { tasks: TASKS });
    if (!("print" in r)) throw new Error(`${args} did not print`);
    assertStringIncludes(r.print, "Usage: deno task up [options]");
  }
});

Deno.test("targets come from the tasks given, so tests with their own graph work", () => {
  const noop = (): [] => [];
  const tasks: Task[] = [{ id: "a", description: "A", deps: [], plan: noop }];
  assertEquals(options(["a"], tasks).options.target, "a");
  assertThrows(() => parseArgs(["up"], { tasks }), InputError);
});
