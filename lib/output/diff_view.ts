/**
 * `diff`: what a run would change, as data and in its two forms, readable
 * lines (grouped by task, coloured on a terminal) and NDJSON events
 * (`{"type":"change","task","kind","object","fields"}`, then a summary).
 *
 * Objects are named `group/Kind/namespace/name` (`group/Kind/name` when
 * cluster-scoped), the core group written `core`: `Gateway` exists in two
 * groups, so a bare kind would be ambiguous. A Helm release is named as the
 * pseudo-object `helm.sh/Release/namespace/name`. Values are never shown,
 * only the paths that differ: a value may be a secret.
 */
import type { ObjectRef } from "../plan/plan.ts";

/** What `up` would do to one object. */
export type ChangeKind = "install" | "upgrade" | "update" | "drift" | "prune" | "remove";

export interface Change {
  kind: ChangeKind;
  /** `telemetry.istio.io/Telemetry/istio-system/mesh-default`, see {@link objectName} */
  object: string;
  /** the dotted paths that would change (values paths for a release), sorted; never values */
  fields: string[];
  /** `upgrade`: the installed chart version and the one `up` would install */
  from?: string;
  to?: string;
  /** one line for humans, when the fields alone do not say it */
  note?: string;
}

/** A change found in one step of one task. */
export interface StepChange extends Change {
  task: string;
  step: string;
}

/** The objects' names in changes: `group/Kind/[namespace/]name`, the core group as `core`. */
export function objectName(
  ref: Pick<ObjectRef, "apiVersion" | "kind" | "name" | "namespace">,
): string {
  const slash = ref.apiVersion.lastIndexOf("/");
  const group = slash < 0 ? "core" : ref.apiVersion.slice(0, slash);
  return [group, ref.kind, ...(ref.namespace ? [ref.namespace] : []), ref.name].join("/");
}

/** A Helm release as a change's object: `helm.sh/Release/namespace/name`. */
export function releaseName(namespace: string, release: string): string {
  return `helm.sh/Release/${namespace}/${release}`;
}

/** Counts by kind, in the order of {@link ChangeKind}. */
export function countByKind(changes: readonly Change[]): Partial<Record<ChangeKind, number>> {
  const out: Partial<Record<ChangeKind, number>> = {};
  for (const kind of KINDS) {
    const n = changes.filter((c) => c.kind === kind).length;
    if (n > 0) out[kind] = n;
  }
  return out;
}

const KINDS: readonly ChangeKind[] = ["install", "upgrade", "update", "drift", "prune", "remove"];

/** ANSI colours per kind: additions green, changes yellow, drift magenta, removals red. */
const COLORS: Record<ChangeKind, string> = {
  install: "32",
  upgrade: "33",
  update: "33",
  drift: "35",
  prune: "31",
  remove: "31",
};

const SIGNS: Record<ChangeKind, string> = {
  install: "+",
  upgrade: "^",
  update: "~",
  drift: "!",
  prune: "-",
  remove: "-",
};

/**
 * The readable form: one line per change under its task, warnings after,
 * and a last line `N changes` or `no changes`.
 */
export function formatDiff(
  changes: readonly StepChange[],
  options: { color?: boolean; warnings?: readonly string[] } = {},
): string {
  const paint = (code: string, text: string): string =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const lines: string[] = [];
  const tasks = [...new Set(changes.map((c) => c.task))];
  for (const task of tasks) {
    lines.push(paint("1", task));
    for (const c of changes.filter((x) => x.task === task)) {
      const head = `${SIGNS[c.kind]} ${c.kind.padEnd(7)}`;
      lines.push(`  ${paint(COLORS[c.kind], head)} ${c.object}${detail(c)}`);
    }
  }
  for (const w of options.warnings ?? []) lines.push(paint("33", `warning: ${w}`));
  const n = changes.length;
  lines.push(n === 0 ? "no changes" : `${n} change${n === 1 ? "" : "s"} (${kindsText(changes)})`);
  return lines.join("\n") + "\n";
}

function detail(c: Change): string {
  const parts: string[] = [];
  if (c.from !== undefined || c.to !== undefined) {
    parts.push(c.from !== undefined ? `${c.from} → ${c.to ?? "?"}` : String(c.to));
  }
  if (c.fields.length) parts.push(c.fields.join(", "));
  if (c.note) parts.push(c.note);
  return parts.length ? `  ${parts.join("  ")}` : "";
}

function kindsText(changes: readonly Change[]): string {
  return Object.entries(countByKind(changes)).map(([k, n]) => `${n} ${k}`).join(", ");
}

/** The NDJSON form: one `change` event per change, warnings as `log` events, then a summary. */
export function diffJson(
  changes: readonly StepChange[],
  options: { target: string; warnings?: readonly string[]; time?: string },
): string {
  const time = options.time ?? new Date().toISOString();
  const events: unknown[] = changes.map((c) => ({
    type: "change",
    time,
    task: c.task,
    step: c.step,
    kind: c.kind,
    object: c.object,
    fields: c.fields,
    ...(c.from !== undefined ? { from: c.from } : {}),
    ...(c.to !== undefined ? { to: c.to } : {}),
    ...(c.note ? { note: c.note } : {}),
  }));
  for (const message of options.warnings ?? []) {
    events.push({ type: "log", time, level: "warn", message });
  }
  events.push({
    type: "summary",
    time,
    target: options.target,
    ok: true,
    changes: changes.length,
    kinds: countByKind(changes),
  });
  return events.map((e) => JSON.stringify(e)).join("\n") + "\n";
}
