/**
 * An object an operator makes (`ObjectRef.madeBy`) that never appears: the
 * timeout's hint names the operator, its logs and the resource it
 * reconciles, not a `describe` of an object that does not exist.
 */
import { assertEquals, assertStringIncludes } from "../../_assert.ts";
import { WaitTimeoutError } from "../../../lib/run/diagnose.ts";
import type { ObjectRef } from "../../../lib/plan/plan.ts";

const KIALI: ObjectRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "kiali",
  namespace: "kiali",
  madeBy: {
    operator: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "kiali-operator",
      namespace: "kiali",
    },
    from: { apiVersion: "kiali.io/v1alpha1", kind: "Kiali", name: "kiali", namespace: "kiali" },
  },
};

Deno.test("a wait for deploy/kiali that never appeared hints at kiali-operator and the Kiali CR", () => {
  const err = new WaitTimeoutError("kiali", {
    objects: [{ ref: KIALI, status: "NotFound", message: "not found yet" }],
    timeoutMs: 300_000,
  });
  assertStringIncludes(err.message, 'Cannot ready "kiali": not ready after 300s');
  assertEquals(
    err.hint,
    "kiali-operator makes it from Kiali kiali/kiali: is the operator running and did it " +
      "reconcile? kubectl -n kiali get deploy/kiali-operator; kubectl -n kiali logs " +
      "deploy/kiali-operator --tail=50; kubectl -n kiali get kiali/kiali -o yaml",
  );
  assertStringIncludes(err.diagnosis, "hint: kiali-operator makes it from Kiali kiali/kiali");
});

Deno.test("an object without a maker keeps the describe hint", () => {
  const { madeBy: _, ...plain } = KIALI;
  const err = new WaitTimeoutError("kiali", {
    objects: [{ ref: plain, status: "NotFound", message: "not found yet" }],
    timeoutMs: 1000,
  });
  assertEquals(err.hint, "kubectl -n kiali describe deploy/kiali");
});
