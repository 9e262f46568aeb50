/**
 * The order in which a manifest's objects are applied in process.
 *
 * `kubectl apply -f FILE` sends one object after another, in the file's
 * order. Sent that way over one connection, a manifest of twenty objects
 * takes twenty round trips before its last Deployment exists, and that
 * Deployment's start-up begins only then. Helm instead sends the objects
 * of one kind together, one kind after another. Here the kinds keep the
 * order in which the file first names them (a Namespace or a CRD written
 * first still goes first), and the objects of one kind go out together, at
 * most {@link WAVE_WIDTH} at a time.
 *
 * @module
 */

/** At most this many objects are sent at once. */
export const WAVE_WIDTH = 16;

/**
 * Indexes of `objects` in waves: one kind per wave (by first appearance),
 * file order within a wave; a kind of more than {@link WAVE_WIDTH} objects
 * takes consecutive waves.
 */
export function applyWaves(objects: readonly { kind?: unknown }[]): number[][] {
  const byKind = new Map<string, number[]>();
  for (const [i, o] of objects.entries()) {
    const kind = typeof o.kind === "string" ? o.kind : "";
    const group = byKind.get(kind);
    if (group) group.push(i);
    else byKind.set(kind, [i]);
  }
  const waves: number[][] = [];
  for (const group of byKind.values()) {
    for (let i = 0; i < group.length; i += WAVE_WIDTH) waves.push(group.slice(i, i + WAVE_WIDTH));
  }
  return waves;
}
