import { assertEquals } from "../../_assert.ts";
import { driftedFields } from "../../../lib/run/drift.ts";

const TELEMETRY = {
  apiVersion: "telemetry.istio.io/v1",
  kind: "Telemetry",
  metadata: {
    name: "mesh-default",
    namespace: "istio-system",
    resourceVersion: "10",
    managedFields: [{ manager: "meshup" }],
  },
  spec: { tracing: [{ randomSamplingPercentage: 100, providers: [{ name: "otel" }] }] },
};

Deno.test("driftedFields() names a hand-edited field, an array as one field", () => {
  const live = structuredClone(TELEMETRY);
  live.spec.tracing[0].randomSamplingPercentage = 5;
  live.metadata.resourceVersion = "11";
  live.metadata.managedFields.push({ manager: "kubectl-edit" });
  assertEquals(driftedFields(live, TELEMETRY), ["spec.tracing"]);
});

Deno.test("driftedFields() finds nothing when only server-written fields differ", () => {
  const live = { ...structuredClone(TELEMETRY), status: { observedGeneration: 1 } };
  live.metadata.resourceVersion = "12";
  assertEquals(driftedFields(live, TELEMETRY), []);
});

Deno.test("driftedFields() reports labels and annotations by key", () => {
  const live = { ...TELEMETRY, metadata: { ...TELEMETRY.metadata, labels: { a: "1" } } };
  const wouldBe = { ...TELEMETRY, metadata: { ...TELEMETRY.metadata, labels: { a: "2", b: "3" } } };
  assertEquals(driftedFields(live, wouldBe), ["metadata.labels.a", "metadata.labels.b"]);
});

Deno.test("driftedFields() ignores what istiod rewrites in its validating webhook, not the rest", () => {
  const webhook = (caBundle: string, failurePolicy: string, timeout: number) => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "istiod-default-validator" },
    webhooks: [{
      name: "validation.istio.io",
      clientConfig: { caBundle },
      failurePolicy,
      timeoutSeconds: timeout,
    }],
  });
  assertEquals(driftedFields(webhook("LS0t", "Fail", 10), webhook("", "Ignore", 10)), []);
  assertEquals(driftedFields(webhook("LS0t", "Fail", 30), webhook("", "Ignore", 10)), ["webhooks"]);
});
