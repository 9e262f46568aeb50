/**
 * The bench's scale runs: on a fresh simulator of N nodes, `up`, the no-op
 * re-run and `verify`, one round each. DaemonSets get one pod per node, so
 * what grows with the node count shows in the 30/3 ratios; a no-op re-run
 * should not grow at all. Reported, never asserted.
 *
 * @module
 */
import type { KubeBinaries } from "../sim/binaries.ts";
import type { ScaleRun } from "./figures.ts";
import { runUp, runVerify, withStack } from "./stack.ts";

/** Node counts of the scale runs: the ratio is the second over the first. */
export const SCALE_NODES = [3, 30] as const;

/** `up`, no-op `up` and `verify` on a fresh simulator of `nodes` nodes. */
export function runScale(
  bins: KubeBinaries,
  options: { nodes: number; env: Record<string, string>; cwd: string },
): Promise<ScaleRun> {
  const { env, cwd } = options;
  return withStack(bins, async (stack) => {
    const up = await runUp(stack, { env, cwd });
    const noop = await runUp(stack, { env, cwd });
    const verify = await runVerify(stack, { env, cwd });
    return {
      nodes: options.nodes,
      upMs: up.ms,
      noopMs: noop.ms,
      noopProcs: noop.procs,
      verifyMs: verify.ms,
      verifyProcs: verify.procs,
    };
  }, { nodes: options.nodes });
}
