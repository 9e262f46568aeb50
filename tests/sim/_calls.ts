/**
 * Helpers for tests that drive the simulator over HTTP: a simulator for one
 * test (its errors checked at the end), a JSON call, and a ConfigMap.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { type Sim, startSim } from "./mod.ts";
import type { Rec } from "./object.ts";

/** Runs `fn` against a fresh simulator, then checks that it recorded no errors. */
export async function withSim(
  fn: (sim: Sim) => Promise<void>,
  options: Parameters<typeof startSim>[0] = {},
): Promise<void> {
  const sim = await startSim({ readyAfterMs: 20, ...options });
  try {
    await fn(sim);
    assertEquals(sim.errors, []);
  } finally {
    await sim.close();
  }
}

/** Calls the simulator's HTTP API with a JSON (or raw) body; the reply parsed. */
export async function call(
  sim: Sim,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<{ status: number; json: Rec; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body: body === undefined
      ? undefined
      : body instanceof Uint8Array
      ? (body as Uint8Array<ArrayBuffer>)
      : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {}, headers: res.headers };
}

/** A ConfigMap named `name`. */
export const cm = (
  name: string,
  labels: Record<string, string> = {},
  namespace = "default",
): Rec => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels },
  data: { k: name },
});
