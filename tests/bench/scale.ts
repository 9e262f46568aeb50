/**
 * The bench's scale runs: on a fresh simulator of N nodes, `up` once, then
 * the no-op re-run and `verify` {@link SCALE_REPEATS} times each, their
 * medians (a single run of 0.1 s is too noisy for a ratio). DaemonSets get
 * one pod per node, so what grows with the node count shows in the 30/3
 * ratios; a no-op re-run should not grow at all. Reported, never asserted.
 *
 * @module
 */
import type { KubeBinaries } from "../sim/binaries.ts";
import { median, type ScaleRun } from "./figures.ts";
import { runUp, runVerify, withStack } from "./stack.ts";

/** Node counts of the scale runs: the ratio is the second over the first. */
export const SCALE_NODES = [3, 30] as const;

/** How many times the no-op re-run and `verify` run at each size. */
export const SCALE_REPEATS = 5;

/** `up`, then no-op `up` and `verify` (medians), on a fresh simulator of `nodes` nodes. */
export function runScale(
  bins: KubeBinaries,
  options: { nodes: number; env: Record<string, string>; cwd: string },
): Promise<ScaleRun> {
  const { env, cwd } = options;
  return withStack(bins, async (stack) => {
    const up = await runUp(stack, { env, cwd });
    const noops = [];
    const verifies = [];
    // what a no-op asks the API server: a count that noise cannot blur
    let noopRequests = 0;
    for (let i = 0; i < SCALE_REPEATS; i++) {
      stack.sim.requests.reset();
      noops.push(await runUp(stack, { env, cwd }));
      noopRequests = Math.max(noopRequests, stack.sim.requests.list().length);
      verifies.push(await runVerify(stack, { env, cwd }));
    }
    return {
      nodes: options.nodes,
      upMs: up.ms,
      noopMs: median(noops.map((r) => r.ms)),
      noopProcs: Math.max(...noops.map((r) => r.procs)),
      noopRequests,
      verifyMs: median(verifies.map((r) => r.ms)),
      verifyProcs: Math.max(...verifies.map((r) => r.procs)),
    };
  }, { nodes: options.nodes });
}
