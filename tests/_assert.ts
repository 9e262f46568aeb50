/**
 * Small assertions over node:assert (no JSR here): the names Deno users
 * know, and throws/rejects helpers that return the error for more checks.
 */
import assert from "node:assert/strict";

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

export function assert_(condition: unknown, message = "assertion failed"): asserts condition {
  assert.ok(condition, message);
}
export { assert_ as assert };

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  assert.ok(
    actual.includes(expected),
    message ?? `expected to find ${JSON.stringify(expected)} in:\n${actual}`,
  );
}

export function assertNotIncludes(actual: string, unexpected: string, message?: string): void {
  assert.ok(
    !actual.includes(unexpected),
    message ?? `did not expect ${JSON.stringify(unexpected)} in:\n${actual}`,
  );
}

export function assertMatch(actual: string, re: RegExp, message?: string): void {
  assert.match(actual, re, message);
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

export function assertThrows<E extends Error = Error>(fn: () => unknown, cls?: ErrorClass<E>): E {
  try {
    fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    return e as E;
  }
  throw new Error("expected the function to throw");
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: ErrorClass<E>,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    return e as E;
  }
  throw new Error("expected the promise to reject");
}
