/**
 * `diff` against the simulated API server, with the real kubectl and helm
 * and the stand-in charts: what `up` would change, read-only, no lock, no
 * process where the in-process client serves the context.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type Cluster, withCluster } from "../_cluster.ts";
import type { StoreEvent } from "../sim/store.ts";

interface ChangeEvent {
  type: "change";
  time: string;
  task: string;
  step: string;
  kind: string;
  object: string;
  fields: string[];
  from?: string;
  to?: string;
}

function changes(out: string): ChangeEvent[] {
  return out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((e) => e.type === "change");
}

/** Runs `diff` while recording every write that reaches the simulator through its API. */
async function diffWatched(
  c: Cluster,
  args: string[],
  options: { env?: Record<string, string>; json?: boolean } = {},
): Promise<Awaited<ReturnType<Cluster["run"]>> & { writes: StoreEvent[] }> {
  const writes: StoreEvent[] = [];
  const unsubscribe = c.sim.store.subscribe((e) => {
    if (e.source === "api") writes.push(e);
  });
  try {
    const r = await c.run(["diff", ...args], options);
    return { ...r, writes };
  } finally {
    unsubscribe();
  }
}

const LEASE = ["coordination.k8s.io/v1", "Lease", "kube-system", "meshup"] as const;

Deno.test("diff on an empty cluster lists every release as install, exits 3 with --exit-code, and writes nothing", async () => {
  await withCluster(async (c) => {
    const r = await diffWatched(c, ["--exit-code"]);
    assertEquals(r.code, 3, r.err);
    const all = changes(r.out);
    const releases = all.filter((e) => e.object.startsWith("helm.sh/Release/"));
    assertEquals(
      releases.map((e) => `${e.task} ${e.kind} ${e.object}`).sort(),
      [
        "gateway install helm.sh/Release/istio-ingress/istio-gateway",
        "istio:base install helm.sh/Release/istio-system/istio-base",
        "istio:cni install helm.sh/Release/istio-system/istio-cni",
        "istio:istiod install helm.sh/Release/istio-system/istiod",
        "istio:ztunnel install helm.sh/Release/istio-system/ztunnel",
        "kiali install helm.sh/Release/kiali/kiali-operator",
      ],
    );
    // the chart version each release would get, from the configured source
    assert(releases.every((e) => /^\d+\.\d+\.\d+/.test(e.to ?? "")), JSON.stringify(releases));
    // applied objects are named with their API group, the core group as "core"
    assert(all.some((e) => e.object === "core/Namespace/book-info" && e.kind === "install"));
    assert(
      all.some((e) =>
        e.object === "telemetry.istio.io/Telemetry/istio-system/mesh-default" &&
        e.kind === "install"
      ),
    );
    // the contract of every change event, and a summary that counts them last
    for (const e of all) {
      assertEquals(
        Object.keys(e).filter((k) => ["type", "task", "kind", "object", "fields"].includes(k))
          .length,
        5,
      );
      assert(Array.isArray(e.fields));
    }
    const summary = JSON.parse(r.out.trim().split("\n").at(-1)!);
    assertEquals([summary.type, summary.changes], ["summary", all.length]);
    assertEquals(r.writes, []);
    assertEquals(c.sim.get(...LEASE), undefined);
    assertEquals(r.spawned, []);
  });
});

Deno.test("after up, diff finds nothing without a process; a hand edit is drift with its fields; a changed value is an update of its release", async () => {
  await withCluster(async (c) => {
    const up = await c.run(["up"]);
    assertEquals(up.code, 0, up.err);
    const lease = c.sim.get(...LEASE)?.metadata.resourceVersion;

    const clean = await diffWatched(c, ["--exit-code"], { json: false });
    assertEquals(clean.code, 0, clean.out + clean.err);
    assertEquals(clean.out, "no changes\n");
    assertEquals(clean.spawned, []);
    assertEquals(clean.writes, []);

    // someone turns sampling down by hand: kubectl takes the field from meshup
    const edit = await c.tool([
      "kubectl",
      "patch",
      "telemetry.telemetry.istio.io",
      "mesh-default",
      "--namespace=istio-system",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/tracing/0/randomSamplingPercentage","value":5}]',
    ]);
    assertEquals(edit.code, 0, edit.stderr);
    const drift = await diffWatched(c, ["--exit-code"]);
    assertEquals(drift.code, 3, drift.err);
    assertEquals(
      changes(drift.out).map(({ task, step, kind, object, fields }) => ({
        task,
        step,
        kind,
        object,
        fields,
      })),
      [{
        task: "telemetry",
        step: "tracing",
        kind: "drift",
        object: "telemetry.istio.io/Telemetry/istio-system/mesh-default",
        fields: ["spec.tracing"],
      }],
    );
    assertEquals(drift.writes, []);
    assertEquals(drift.spawned, []);
    const sampling =
      (c.sim.get("telemetry.istio.io/v1", "Telemetry", "istio-system", "mesh-default")
        ?.spec as { tracing: { randomSamplingPercentage: number }[] }).tracing[0];
    assertEquals(sampling.randomSamplingPercentage, 5);

    // readable: grouped by task, one line per change, a count last
    const text = await c.run(["diff"], { json: false });
    assertEquals(text.code, 0, text.err);
    assertStringIncludes(
      text.out,
      "telemetry\n  ! drift   telemetry.istio.io/Telemetry/istio-system/mesh-default  spec.tracing\n",
    );
    assertStringIncludes(text.out, "1 change (1 drift)\n");

    const value = await diffWatched(c, ["gateway", "--only"], {
      env: { GATEWAY_LOADBALANCER_IP: "10.0.0.100" },
    });
    assertEquals(value.code, 0, value.err);
    const update = changes(value.out);
    assertEquals(
      update.map((e) => `${e.task}/${e.step} ${e.kind} ${e.object}`),
      ["gateway/release update helm.sh/Release/istio-ingress/istio-gateway"],
    );
    assert(update[0].fields.includes("service.loadBalancerIP"), update[0].fields.join(","));
    // paths only: the value itself never appears
    assert(!value.out.includes("10.0.0.100"), value.out);
    assertEquals(value.writes, []);

    // a flavour switch leaves the Istio API objects to prune; Kiali turned off is removed
    const off = await diffWatched(c, [], {
      env: { BOOKINFO_FLAVOUR: "gateway-api", KIALI_ENABLED: "false" },
    });
    assertEquals(off.code, 0, off.err);
    const gone = changes(off.out).filter((e) => e.kind === "prune" || e.kind === "remove")
      .map((e) => `${e.task} ${e.kind} ${e.object}`).sort();
    assertEquals(gone, [
      "bookinfo prune networking.istio.io/Gateway/book-info/bookinfo-gateway",
      "bookinfo prune networking.istio.io/VirtualService/book-info/bookinfo",
      "kiali remove helm.sh/Release/kiali/kiali-operator",
      "kiali remove kiali.io/Kiali/kiali/kiali",
    ]);
    assertEquals(off.writes, []);
    assertEquals(c.sim.get(...LEASE)?.metadata.resourceVersion, lease);
  });
});
