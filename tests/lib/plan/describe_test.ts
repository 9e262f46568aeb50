import { assertEquals, assertStringIncludes } from "../../_assert.ts";
import { describePlan } from "../../../lib/plan/describe.ts";
import type { Plan } from "../../../lib/plan/plan.ts";

const plan: Plan = {
  target: "bookinfo",
  tasks: [{
    id: "bookinfo",
    description: "Bookinfo",
    deps: [],
    steps: [{
      kind: "label",
      id: "ambient",
      description: "enrol",
      target: { apiVersion: "v1", kind: "Namespace", name: "book-info" },
      labels: { "istio.io/dataplane-mode": "ambient" },
    }],
  }],
};

Deno.test("describePlan() shows what a task would prune, after its steps, when it is given", () => {
  const text = describePlan(plan, {
    prune: new Map([["bookinfo", ["networking.istio.io/Gateway/book-info/bookinfo-gateway"]]]),
  });
  assertStringIncludes(
    text,
    "  2. prune (at the end, once the new objects are ready):\n" +
      "       networking.istio.io/Gateway/book-info/bookinfo-gateway\n",
  );
});

Deno.test("describePlan() without the last inventories reads no cluster and shows no prune", () => {
  assertEquals(describePlan(plan).includes("prune"), false);
});
