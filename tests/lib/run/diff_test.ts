import { assert, assertEquals } from "../../_assert.ts";
import {
  diffJson,
  formatDiff,
  objectName,
  type StepChange,
} from "../../../lib/output/diff_view.ts";
import { explainRelease, valuePaths } from "../../../lib/run/diff_release.ts";
import type { StepContext } from "../../../lib/run/executor.ts";
import type { HelmReleaseStep } from "../../../lib/plan/plan.ts";

Deno.test("objectName() names objects with their API group, the core group as core, cluster-scoped without a namespace", () => {
  assertEquals(
    objectName({
      apiVersion: "telemetry.istio.io/v1",
      kind: "Telemetry",
      namespace: "istio-system",
      name: "mesh-default",
    }),
    "telemetry.istio.io/Telemetry/istio-system/mesh-default",
  );
  assertEquals(
    objectName({ apiVersion: "v1", kind: "Namespace", name: "book-info" }),
    "core/Namespace/book-info",
  );
  // the two Gateways stay apart
  assertEquals(
    objectName({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      namespace: "book-info",
      name: "gw",
    }),
    "gateway.networking.k8s.io/Gateway/book-info/gw",
  );
  assertEquals(
    objectName({
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      namespace: "n",
      name: "gw",
    }),
    "networking.istio.io/Gateway/n/gw",
  );
});

const CHANGES: StepChange[] = [
  {
    task: "istio:istiod",
    step: "release",
    kind: "upgrade",
    object: "helm.sh/Release/istio-system/istiod",
    fields: [],
    from: "1.30.3",
    to: "1.30.4",
  },
  {
    task: "telemetry",
    step: "tracing",
    kind: "drift",
    object: "telemetry.istio.io/Telemetry/istio-system/mesh-default",
    fields: ["spec.tracing"],
  },
];

Deno.test("formatDiff() prints one line per change under its task and counts them last; no colour unless asked", () => {
  assertEquals(
    formatDiff(CHANGES),
    [
      "istio:istiod",
      "  ^ upgrade helm.sh/Release/istio-system/istiod  1.30.3 → 1.30.4",
      "telemetry",
      "  ! drift   telemetry.istio.io/Telemetry/istio-system/mesh-default  spec.tracing",
      "2 changes (1 upgrade, 1 drift)",
      "",
    ].join("\n"),
  );
  assertEquals(formatDiff([]), "no changes\n");
  assert(!formatDiff(CHANGES).includes("\x1b["));
  assert(formatDiff(CHANGES, { color: true }).includes("\x1b[35m! drift  \x1b[0m"));
  assertEquals(
    formatDiff([], { warnings: ["cilium/check: up would fail: Cilium is not configured"] }),
    "warning: cilium/check: up would fail: Cilium is not configured\nno changes\n",
  );
});

Deno.test("diffJson() writes one change event per change with the contract's keys, then a summary", () => {
  const lines = diffJson(CHANGES, { target: "up", time: "T" }).trim().split("\n")
    .map((l) => JSON.parse(l));
  assertEquals(lines[1], {
    type: "change",
    time: "T",
    task: "telemetry",
    step: "tracing",
    kind: "drift",
    object: "telemetry.istio.io/Telemetry/istio-system/mesh-default",
    fields: ["spec.tracing"],
  });
  assertEquals([lines[0].from, lines[0].to], ["1.30.3", "1.30.4"]);
  assertEquals(lines[2], {
    type: "summary",
    time: "T",
    target: "up",
    ok: true,
    changes: 2,
    kinds: { upgrade: 1, drift: 1 },
  });
});

Deno.test("valuePaths() names the paths where values differ, maps key by key, arrays whole, key order ignored", () => {
  assertEquals(
    valuePaths(
      { a: { b: 1, c: [{ x: 1, y: 2 }] }, d: "on", e: { f: 1 } },
      { e: { f: 1 }, a: { c: [{ y: 2, x: 1 }], b: 2 }, g: true },
    ),
    ["a.b", "d", "g"],
  );
  assertEquals(valuePaths({ a: [1, 2] }, { a: [1] }), ["a"]);
  assertEquals(valuePaths({}, {}), []);
});

/** A release Secret as the API server returns it. */
async function releaseSecret(version: string, config: Record<string, unknown>) {
  const json = JSON.stringify({ chart: { metadata: { name: "istiod", version } }, config });
  const gz = new Uint8Array(
    await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  return {
    metadata: {
      namespace: "istio-system",
      labels: { owner: "helm", name: "istiod", version: "2", status: "deployed" },
    },
    data: { release: btoa(btoa(String.fromCharCode(...gz))) },
  };
}

const STEP: HelmReleaseStep = {
  kind: "helm-release",
  id: "release",
  description: "istiod",
  release: "istiod",
  namespace: "istio-system",
  createNamespace: false,
  chart: { type: "repo", repo: "https://example.test/charts", chart: "istiod", version: "1.30.4" },
  values: [
    { source: "values/a.yaml", content: "profile: ambient\npilot:\n  env:\n    A: '1'\n" },
    { source: "values/b.yaml", content: "pilot:\n  env:\n    B: secret-ish\n" },
  ],
  workloads: [],
};

function fakeContext(secret: unknown, reads: string[]): StepContext {
  return {
    task: { id: "istio:istiod", description: "", deps: [], steps: [] },
    hooks: {},
    kube: {
      getObject: (ref: { name: string }) => {
        reads.push(ref.name);
        return Promise.resolve(secret);
      },
    },
  } as unknown as StepContext;
}

Deno.test("explainRelease() reads the installed release: upgrade from/to, and the value paths that differ, never the values", async () => {
  const reads: string[] = [];
  const secret = await releaseSecret("1.30.3", {
    profile: "ambient",
    pilot: { env: { A: "1", B: "old-value" } },
  });
  const changes = await explainRelease(fakeContext(secret, reads), STEP, {
    release: { name: "istiod", namespace: "istio-system", revision: 2, status: "deployed" },
    fp: "abc",
  });
  assertEquals(reads, ["sh.helm.release.v1.istiod.v2"]);
  assertEquals(changes, [
    {
      kind: "upgrade",
      object: "helm.sh/Release/istio-system/istiod",
      fields: [],
      from: "1.30.3",
      to: "1.30.4",
    },
    { kind: "update", object: "helm.sh/Release/istio-system/istiod", fields: ["pilot.env.B"] },
  ]);
  assert(!JSON.stringify(changes).includes("secret-ish"));
  assert(!JSON.stringify(changes).includes("old-value"));
});

Deno.test("explainRelease() is install with the chart version when no release exists, without a read", async () => {
  const reads: string[] = [];
  assertEquals(
    await explainRelease(fakeContext(undefined, reads), STEP, { release: undefined, fp: "abc" }),
    [{ kind: "install", object: "helm.sh/Release/istio-system/istiod", fields: [], to: "1.30.4" }],
  );
  assertEquals(reads, []);
});

Deno.test("explainRelease() says why a release with the same version and values would still be upgraded", async () => {
  const secret = await releaseSecret("1.30.4", {
    profile: "ambient",
    pilot: { env: { A: "1", B: "secret-ish" } },
  });
  const [change] = await explainRelease(fakeContext(secret, []), STEP, {
    release: { name: "istiod", namespace: "istio-system", revision: 2, status: "failed" },
    fp: "abc",
  });
  assertEquals([change.kind, change.fields], ["update", []]);
  assertEquals(change.note, "release is failed (revision 2): up repairs it");
});
