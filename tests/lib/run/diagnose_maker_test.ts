/**
 * An object an operator makes that never appears: the timeout's diagnosis
 * shows the operator's pods, the conditions of the resource it reconciles
 * and its last log lines; the progress line names the operator.
 */
import { assert, assertEquals, assertStringIncludes } from "../../_assert.ts";
import { WaitTimeoutError } from "../../../lib/run/diagnose.ts";
import { waitingText } from "../../../lib/output/_text.ts";
import type { ObjectRef } from "../../../lib/plan/plan.ts";

const OPERATOR: ObjectRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "kiali-operator",
  namespace: "kiali-operator",
};
const CR: ObjectRef = {
  apiVersion: "kiali.io/v1alpha1",
  kind: "Kiali",
  name: "kiali",
  namespace: "istio-system",
};
const KIALI: ObjectRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "kiali",
  namespace: "istio-system",
  madeBy: { operator: OPERATOR, from: CR },
};

const CRASHING_POD = {
  metadata: {
    name: "kiali-operator-5d9f-abcde",
    namespace: "kiali-operator",
    ownerReferences: [{ kind: "ReplicaSet", name: "kiali-operator-5d9f" }],
  },
  status: {
    phase: "Running",
    containerStatuses: [{
      name: "operator",
      ready: false,
      restartCount: 4,
      state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
    }],
  },
};

Deno.test("waitingText names the operator that makes an object not created yet", () => {
  assertEquals(
    waitingText([{ ref: KIALI, status: "NotFound", message: "not found yet" }]),
    "waiting for deploy/kiali: not created yet (made by deploy/kiali-operator from " +
      "kiali.io/Kiali/istio-system/kiali)",
  );
  // once the operator made it, the line is a workload's like any other
  assertEquals(
    waitingText([{ ref: KIALI, status: "InProgress", message: "Available: 0/1" }]),
    "waiting for deploy/kiali: Available: 0/1",
  );
});

Deno.test("a timed-out wait on what an operator makes shows its pods, the CR's conditions and its logs", () => {
  const err = new WaitTimeoutError("kiali", {
    objects: [{ ref: KIALI, status: "NotFound", message: "not found yet" }],
    pods: [CRASHING_POD],
    makers: [{
      operator: OPERATOR,
      from: {
        status: {
          conditions: [{
            type: "Failure",
            status: "True",
            reason: "Failed",
            message: "Error reconciling:\nno Prometheus",
          }],
        },
      },
      log: { pod: "kiali-operator-5d9f-abcde", lines: ["TASK [kiali-deploy] failed"] },
    }],
    timeoutMs: 5_000,
  });
  const d = err.diagnosis;
  assertStringIncludes(d, 'made by Deployment "kiali-operator" in kiali-operator:');
  assertStringIncludes(d, "pod kiali-operator-5d9f-abcde: CrashLoopBackOff, restarts 4");
  assertStringIncludes(d, "Kiali istio-system/kiali conditions:");
  assertStringIncludes(d, "Failure=True Failed: Error reconciling: no Prometheus");
  assertStringIncludes(d, "last log lines of pod kiali-operator-5d9f-abcde:");
  assertStringIncludes(d, "TASK [kiali-deploy] failed");
  assertStringIncludes(d, "kubectl -n kiali-operator logs deploy/kiali-operator --tail=50");
});

Deno.test("the diagnosis says so when the operator has no pods or the CR no conditions", () => {
  const noStatus = new WaitTimeoutError("kiali", {
    objects: [{ ref: KIALI, status: "NotFound", message: "not found yet" }],
    makers: [{ operator: OPERATOR, from: { metadata: { name: "kiali" } } }],
    timeoutMs: 5_000,
  }).diagnosis;
  assertStringIncludes(noStatus, "no pods of kiali-operator: is the operator installed?");
  assertStringIncludes(noStatus, "Kiali istio-system/kiali has no status conditions");
  const noCr = new WaitTimeoutError("kiali", {
    objects: [{ ref: KIALI, status: "NotFound", message: "not found yet" }],
    makers: [{ operator: OPERATOR }],
    timeoutMs: 5_000,
  }).diagnosis;
  assertStringIncludes(noCr, "Kiali istio-system/kiali not found: nothing for the operator");
  assert(!noCr.includes("last log lines"));
});
