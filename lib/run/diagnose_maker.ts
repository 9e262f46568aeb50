/**
 * "Why did the operator not make it?": pure formatting of what an operator
 * that should have made an object shows (`ObjectRef.madeBy`): its pods'
 * state, the conditions of the resource it reconciles, and its last log
 * lines, with the commands to look further.
 */
import type { ObjectRef } from "../plan/plan.ts";

type MadeBy = NonNullable<ObjectRef["madeBy"]>;

/** What was read about an operator when a wait for what it makes timed out. */
export interface MakerReport {
  operator: ObjectRef;
  /** the resource it reconciles, as read (undefined: not found) */
  from?: Record<string, unknown>;
  /** the operator pod whose log was read, and its last lines */
  log?: { pod: string; lines: string[] };
}

/** Log lines shown per operator. */
export const MAKER_LOG_LINES = 20;

/** `deploy/kiali-operator from kiali.io/Kiali/istio-system/kiali`. */
export function madeByText(madeBy: MadeBy, short: (ref: ObjectRef) => string): string {
  const { operator, from } = madeBy;
  const group = from.apiVersion.includes("/") ? from.apiVersion.split("/")[0] : "core";
  const where = from.namespace ? `${from.namespace}/` : "";
  return `${short(operator)} from ${group}/${from.kind}/${where}${from.name}`;
}

/**
 * The lines under an object an operator should have made: its pods
 * (already described, `pods`), the resource's conditions, its last logs.
 */
export function makerLines(madeBy: MadeBy, pods: string[], report?: MakerReport): string[] {
  const { operator, from } = madeBy;
  const where = operator.namespace ? ` in ${operator.namespace}` : "";
  const lines = [`  made by ${operator.kind} "${operator.name}"${where}:`];
  if (pods.length === 0) lines.push(`    no pods of ${operator.name}: is the operator installed?`);
  for (const pod of pods) lines.push(`    pod ${pod}`);
  lines.push(...conditionLines(from, report));
  const log = report?.log;
  if (log) {
    const shown = log.lines.slice(-MAKER_LOG_LINES);
    lines.push(
      shown.length > 0
        ? `    last log lines of pod ${log.pod}:`
        : `    pod ${log.pod} logged nothing`,
    );
    for (const line of shown) lines.push(`      ${line}`);
  }
  return lines;
}

function conditionLines(from: ObjectRef, report?: MakerReport): string[] {
  const name = `${from.kind} ${from.namespace ? `${from.namespace}/` : ""}${from.name}`;
  if (!report) return [];
  if (!report.from) return [`    ${name} not found: nothing for the operator to reconcile`];
  const status = record(report.from.status);
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
  if (conditions.length === 0) {
    return [`    ${name} has no status conditions: the operator has not reconciled it`];
  }
  return [
    `    ${name} conditions:`,
    ...conditions.map((c) =>
      `      ${str(c.type)}=${str(c.status)}${c.reason ? ` ${str(c.reason)}` : ""}${
        c.message ? `: ${str(c.message).replace(/\s*\n\s*/g, " ")}` : ""
      }`
    ),
  ];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function str(value: unknown): string {
  return typeof value === "string" ? value : String(value ?? "");
}
