/**
 * Typed events: the runner emits them, `mod.ts` renders them
 * (TTY tree, plain lines, NDJSON). Nothing else writes to the console.
 */
import type { ObjectRef, StepKind } from "../plan/plan.ts";

/** kstatus result for one object. */
export type ObjectStatus =
  | "Current"
  | "InProgress"
  | "Failed"
  | "Terminating"
  | "NotFound"
  | "Unknown";

export interface ObjectState {
  ref: ObjectRef;
  /** `metadata.uid` of the object observed, when one was */
  uid?: string;
  status: ObjectStatus;
  message: string;
}

/** Outcome of a step that ran. */
export type StepAction =
  | "installed"
  | "upgraded"
  | "repaired"
  | "applied"
  | "labelled"
  | "created"
  | "checked"
  | "fixed"
  | "waited"
  | "deleted"
  | "uninstalled"
  /** drift taken back: a field meshup sets had been changed by someone else */
  | "corrected"
  /** left behind by an earlier run's plan, removed at the task's end */
  | "pruned";

/** Final state of a task in the summary. */
export type TaskOutcome = "done" | "unchanged" | "failed" | "skipped" | "not-run";

interface Base {
  /** ISO-8601 */
  time: string;
}

export type RunEvent =
  | Base & {
    type: "plan";
    target: string;
    tasks: {
      id: string;
      deps: string[];
      steps: { id: string; kind: StepKind; description: string }[];
    }[];
  }
  | Base & { type: "context"; context: string; server: string }
  | Base & { type: "task-start"; task: string }
  | Base & { type: "step-start"; task: string; step: string; kind: StepKind; description: string }
  /** a command about to run; argv is already redacted */
  | Base & { type: "cmd"; task: string; step: string; argv: string[] }
  /** progress of a wait: what is still not ready */
  | Base & { type: "wait"; task: string; step: string; pending: ObjectState[] }
  | Base & { type: "step-skip"; task: string; step: string; reason: string }
  | Base & {
    type: "step-done";
    task: string;
    step: string;
    action: StepAction;
    durationMs: number;
    /** `corrected`: the drifted fields (`spec.tracing`); `pruned`: nothing */
    fields?: string[];
    /** the objects the action concerned, `group/Kind/namespace/name` (drifted or pruned ones) */
    objects?: string[];
  }
  | Base & { type: "step-failed"; task: string; step: string; error: string; durationMs: number }
  | Base & {
    type: "retry";
    task: string;
    step: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }
  | Base & { type: "task-done"; task: string; outcome: TaskOutcome; durationMs: number }
  | Base & { type: "log"; level: "info" | "warn"; message: string; task?: string }
  /** an error that ends the command (`code` is its exit code); `--json` prints it on stdout */
  | Base & { type: "error"; code: number; message: string; hint?: string }
  | Base & {
    type: "summary";
    ok: boolean;
    durationMs: number;
    tasks: { id: string; outcome: TaskOutcome; durationMs: number; reason?: string }[];
  };

export type RunEventType = RunEvent["type"];
