/**
 * `down` on the simulator with the real helm and kubectl: the stack's CRDs
 * and users' custom resources survive unless `--purge-crds`; a release that
 * would take a CRD with it, or that Flux manages, is refused before anything
 * is removed; an operator's custom resource is finalised before the operator
 * goes.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { countCmd, REPO, withCluster } from "../_cluster.ts";
import type { Cluster } from "../_cluster.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { helmReleaseSecret } from "../sim/mod.ts";
import { KIALI_FINALIZER } from "../sim/operators.ts";

const CRD = "apiextensions.k8s.io/v1";
const ISTIO_CRDS = [
  "telemetries.telemetry.istio.io",
  "gateways.networking.istio.io",
  "virtualservices.networking.istio.io",
  "peerauthentications.security.istio.io",
  "authorizationpolicies.security.istio.io",
];

/** The stand-in kiali-operator chart's version, whatever meshup's default. */
const KIALI_FIXTURE = /^version: *(\S+)$/m.exec(
  await Deno.readTextFile(`${REPO}/tests/fixtures/charts/kiali-operator/Chart.yaml`),
)![1];

const logs = (events: RunEvent[]): string[] =>
  events.flatMap((e) => e.type === "log" ? [e.message] : []);
const failure = (events: RunEvent[]): string =>
  (events.find((e) => e.type === "step-failed") as { error: string } | undefined)?.error ?? "";
const done = (events: RunEvent[]): string[] =>
  events.flatMap((e) => e.type === "step-done" ? [`${e.task}/${e.step}`] : []);

async function userPolicy(c: Cluster): Promise<void> {
  const r = await c.tool(
    ["kubectl", "apply", "-f", "-"],
    `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: default
spec: {}
`,
  );
  assertEquals(r.code, 0, r.stderr);
}

const policy = (c: Cluster): unknown =>
  c.sim.get("security.istio.io/v1", "AuthorizationPolicy", "default", "allow-nothing");

Deno.test("down --yes keeps the stack's CRDs and a user's AuthorizationPolicy, and says what they still hold", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const up = await c.run(["up", "--timeout", "60s"]);
    assertEquals(up.code, 0, failure(up.events) + up.err);
    await userPolicy(c);
    const down = await c.run(["down", "--yes", "--timeout", "60s"]);
    assertEquals(down.code, 0, failure(down.events) + down.err);
    for (const name of [...ISTIO_CRDS, "kialis.kiali.io"]) {
      assert(c.sim.get(CRD, "CustomResourceDefinition", undefined, name), `${name} was deleted`);
    }
    assert(policy(c), "the user's AuthorizationPolicy was deleted with its CRD");
    const kept = logs(down.events).find((m) => m.startsWith("Kept "));
    assert(kept, logs(down.events).join("\n"));
    assertStringIncludes(kept, "1 AuthorizationPolicy");
    // the count comes before the summary
    const at = (t: string): number => down.events.findIndex((e) => e.type === t);
    assert(
      down.events.findIndex((e) => e.type === "log" && e.message === kept) < at("summary"),
    );
    // the Kiali CR, finalised by its operator, is gone before the operator's release goes
    const order = done(down.events);
    assert(order.indexOf("kiali/cr") < order.indexOf("kiali/operator"), order.join(" "));
    assertEquals(c.sim.list("kiali.io/v1alpha1", "Kiali").length, 0);
  });
});

Deno.test("down --yes --purge-crds says what will be lost, then removes the CRDs and the namespaces the stack created", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const up = await c.run(["up", "--timeout", "60s"]);
    assertEquals(up.code, 0, failure(up.events) + up.err);
    await userPolicy(c);
    const down = await c.run(["down", "--yes", "--purge-crds", "--timeout", "60s"]);
    assertEquals(down.code, 0, failure(down.events) + down.err);
    const warning = down.events.findIndex((e) =>
      e.type === "log" && e.message.startsWith("--purge-crds")
    );
    assert(warning >= 0, logs(down.events).join("\n"));
    assert(warning < down.events.findIndex((e) => e.type === "step-start"));
    const message = (down.events[warning] as { message: string }).message;
    assertStringIncludes(message, "1 AuthorizationPolicy");
    assertStringIncludes(message, "authorizationpolicies.security.istio.io");
    assertStringIncludes(message, "kialis.kiali.io");
    for (const name of [...ISTIO_CRDS, "kialis.kiali.io"]) {
      assertEquals(c.sim.get(CRD, "CustomResourceDefinition", undefined, name), undefined, name);
    }
    assertEquals(policy(c), undefined);
    for (const ns of ["istio-system", "istio-ingress", "kiali"]) {
      assertEquals(c.sim.get("v1", "Namespace", undefined, ns), undefined, ns);
    }
    assert(c.sim.get("v1", "Namespace", undefined, "default"));
  });
});

Deno.test("--purge-crds after a down that kept the CRDs still finds and removes the releases' CRDs", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const up = await c.run(["istio:base", "--timeout", "60s"]);
    assertEquals(up.code, 0, failure(up.events) + up.err);
    await userPolicy(c);
    const down = await c.run(["down", "istio:base", "--yes"]);
    assertEquals(down.code, 0, failure(down.events) + down.err);
    assert(policy(c));
    const purge = await c.run(["down", "istio:base", "--yes", "--purge-crds"]);
    assertEquals(purge.code, 0, failure(purge.events) + purge.err);
    const warning = logs(purge.events).find((m) => m.startsWith("--purge-crds"));
    assertStringIncludes(warning ?? "", "1 AuthorizationPolicy");
    for (const name of ISTIO_CRDS) {
      assertEquals(c.sim.get(CRD, "CustomResourceDefinition", undefined, name), undefined, name);
    }
    assertEquals(policy(c), undefined);
    assertEquals(c.sim.get("v1", "Namespace", undefined, "istio-system"), undefined);
  });
});

Deno.test("down refuses a release whose manifest holds a CRD without the keep policy, unless --purge-crds", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const crd = {
      apiVersion: CRD,
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        versions: [{
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          },
        }],
      },
    };
    c.sim.seed([
      crd,
      await helmReleaseSecret({
        name: "istio-base",
        namespace: "istio-system",
        chart: { name: "base", version: "1.30.3" },
        manifest: `---\n# Source: base/templates/crds.yaml\n${JSON.stringify(crd)}\n`,
      }),
    ]);
    const refused = await c.run(["down", "istio:base", "--only", "--yes"]);
    assertEquals(refused.code, 2);
    assertStringIncludes(refused.out, "widgets.example.com");
    assertStringIncludes(refused.out, "--purge-crds");
    assertEquals(countCmd(refused.spawned, "helm", "uninstall"), 0);
    assert(c.sim.get("v1", "Secret", "istio-system", "sh.helm.release.v1.istio-base.v1"));
    const purged = await c.run(["down", "istio:base", "--only", "--yes", "--purge-crds"]);
    assertEquals(purged.code, 0, failure(purged.events) + purged.err);
    assertEquals(
      c.sim.get("v1", "Secret", "istio-system", "sh.helm.release.v1.istio-base.v1"),
      undefined,
    );
  });
});

Deno.test("a release that Flux manages is never changed: up and down stop with exit 2", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    c.sim.seed(
      await helmReleaseSecret({
        name: "istio-base",
        namespace: "istio-system",
        chart: { name: "base", version: "1.30.3" },
        manifest: `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: istio-reader-service-account
  namespace: istio-system
  labels:
    helm.toolkit.fluxcd.io/name: istio-base
    helm.toolkit.fluxcd.io/namespace: flux-system
`,
      }),
    );
    const up = await c.run(["istio:base", "--only"]);
    assertEquals(up.code, 2);
    assertStringIncludes(up.out, "managed by Flux (HelmRelease flux-system/istio-base)");
    assertEquals(countCmd(up.spawned, "helm", "upgrade"), 0);
    const down = await c.run(["down", "istio:base", "--only", "--yes", "--purge-crds"]);
    assertEquals(down.code, 2);
    assertStringIncludes(down.out, "managed by Flux");
    assertEquals(countCmd(down.spawned, "helm", "uninstall"), 0);
  });
});

Deno.test("a Kiali CR whose operator is gone fails its step at the deadline, naming the finalizer, and the operator's release stays", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const up = await c.run(["kiali", "--timeout", "60s"]);
    assertEquals(up.code, 0, failure(up.events) + up.err);
    const cr = c.sim.list("kiali.io/v1alpha1", "Kiali")[0];
    assert(cr.metadata.finalizers?.includes(KIALI_FINALIZER), "the operator adds its finalizer");
    const gone = await c.tool(["kubectl", "delete", "deployment", "kiali-operator", "-n", "kiali"]);
    assertEquals(gone.code, 0, gone.stderr);
    const down = await c.run(["down", "kiali", "--only", "--yes", "--timeout", "3s"]);
    assertEquals(down.code, 1);
    const error = failure(down.events);
    assertStringIncludes(error, KIALI_FINALIZER);
    assertEquals(countCmd(down.spawned, "helm", "uninstall"), 0);
  });
});

Deno.test("--purge-crds after a plain down still removes the CRD of the Kiali operator chart's crds/ folder", async () => {
  await withCluster(async (c) => {
    c.env.KIALI_VERSION = KIALI_FIXTURE;
    const up = await c.run(["kiali", "--timeout", "60s"]);
    assertEquals(up.code, 0, failure(up.events) + up.err);
    const down = await c.run(["down", "kiali", "--yes"]);
    assertEquals(down.code, 0, failure(down.events) + down.err);
    // kept, and marked with the release it came from: helm gives crds/ CRDs no ownership
    const kept = c.sim.get(CRD, "CustomResourceDefinition", undefined, "kialis.kiali.io");
    assert(kept, "a plain down keeps the CRD");
    assertEquals(kept.metadata.labels?.["meshup.dev/kept-from-release"], "kiali.kiali-operator");
    const purge = await c.run(["down", "kiali", "--yes", "--purge-crds"]);
    assertEquals(purge.code, 0, failure(purge.events) + purge.err);
    assertEquals(
      c.sim.get(CRD, "CustomResourceDefinition", undefined, "kialis.kiali.io"),
      undefined,
    );
  });
});
