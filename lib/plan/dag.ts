/**
 * The target graph: validation (unknown deps, cycles), selection of a
 * target's closure, a deterministic topological order, and exports as
 * Mermaid or DOT.
 */
import { InputError } from "../errors.ts";
import { editDistance } from "../config/template.ts";

export interface Node {
  id: string;
  deps: string[];
  description?: string;
}

/** Checks ids are unique, deps exist and there is no cycle. */
export function validateGraph(nodes: readonly Node[]): void {
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) throw new InputError(`Invalid task graph: task "${n.id}" is defined twice`);
    ids.add(n.id);
  }
  for (const n of nodes) {
    for (const d of n.deps) {
      if (!ids.has(d)) {
        const guess = suggest(d, [...ids]);
        throw new InputError(
          `Invalid task graph: task "${n.id}" depends on unknown task "${d}"`,
          guess ? `did you mean "${guess}"?` : `known tasks: ${[...ids].join(", ")}`,
        );
      }
    }
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new InputError(
        `Invalid task graph: dependency cycle ${cycle.map((c) => `"${c}"`).join(" -> ")}`,
        "remove one of these deps",
      );
    }
    state.set(id, "visiting");
    for (const d of byId.get(id)!.deps) visit(d, [...path, id]);
    state.set(id, "done");
  };
  for (const n of nodes) visit(n.id, []);
}

/**
 * The tasks a target needs, in a deterministic topological order (a task
 * after all of its deps; ties in declaration order). With `only`, the target
 * alone.
 */
export function selectTasks<T extends Node>(
  nodes: readonly T[],
  target: string,
  options: { only?: boolean } = {},
): T[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  if (!byId.has(target)) {
    const guess = suggest(target, [...byId.keys()]);
    throw new InputError(
      `Unknown target "${target}"`,
      guess
        ? `did you mean "${guess}"? (deno task plan lists every target)`
        : `targets: ${[...byId.keys()].join(", ")}`,
    );
  }
  const wanted = new Set<string>();
  const add = (id: string): void => {
    if (wanted.has(id)) return;
    wanted.add(id);
    if (!options.only) { for (const d of byId.get(id)!.deps) add(d); }
  };
  add(target);
  return topoOrder(nodes.filter((n) => wanted.has(n.id)));
}

/** Kahn's algorithm, ties broken by input order. Deps outside the set are ignored. */
export function topoOrder<T extends Node>(nodes: readonly T[]): T[] {
  const inSet = new Set(nodes.map((n) => n.id));
  const done = new Set<string>();
  const out: T[] = [];
  while (out.length < nodes.length) {
    const next = nodes.find((n) =>
      !done.has(n.id) && n.deps.every((d) => !inSet.has(d) || done.has(d))
    );
    if (!next) throw new InputError("Invalid task graph: dependency cycle");
    done.add(next.id);
    out.push(next);
  }
  return out;
}

/** Reverse order for `down`: dependents before their deps. */
export function reverseOrder<T extends Node>(nodes: readonly T[]): T[] {
  return [...topoOrder(nodes)].reverse();
}

export function toMermaid(nodes: readonly Node[]): string {
  const id = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_");
  const lines = ["flowchart LR"];
  for (const n of nodes) lines.push(`  ${id(n.id)}["${n.id}"]`);
  for (const n of nodes) for (const d of n.deps) lines.push(`  ${id(d)} --> ${id(n.id)}`);
  return lines.join("\n") + "\n";
}

export function toDot(nodes: readonly Node[]): string {
  const lines = ["digraph meshup {", "  rankdir=LR;", "  node [shape=box];"];
  for (const n of nodes) lines.push(`  "${n.id}";`);
  for (const n of nodes) for (const d of n.deps) lines.push(`  "${d}" -> "${n.id}";`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

/**
 * Longest path through the graph where each node costs `cost(id)`: the
 * critical path that no scheduler can beat.
 */
export function criticalPath(
  nodes: readonly Node[],
  cost: (id: string) => number,
): { total: number; path: string[] } {
  const best = new Map<string, { total: number; path: string[] }>();
  for (const n of topoOrder(nodes)) {
    let prev = { total: 0, path: [] as string[] };
    for (const d of n.deps) {
      const b = best.get(d);
      if (b && b.total > prev.total) prev = b;
    }
    best.set(n.id, { total: prev.total + cost(n.id), path: [...prev.path, n.id] });
  }
  let top = { total: 0, path: [] as string[] };
  for (const b of best.values()) if (b.total > top.total) top = b;
  return top;
}

function suggest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let score = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < score) [best, score] = [c, d];
  }
  return score <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
