import { parseAllDocuments } from "yaml";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { TASKS } from "../../Taskfile.ts";
import { buildPlan } from "../../lib/plan/build.ts";
import { parseConfig } from "../../lib/config/config.ts";
import type { RunEvent } from "../../lib/output/events.ts";
import { REPO, standInEnv } from "../_cluster.ts";
import { noticeSamples, percentile, type TimedEvent } from "./detect.ts";
import {
  BOOKINFO_DEPLOYMENTS,
  ISTIO_BASE_CRDS,
  jitterFactor,
  KIALI_CRDS,
  NOMINAL_DELAYS,
  nominalDelay,
  profileCriticalPath,
  profileDelay,
  simReadyDelay,
  TASK_WAITS,
  taskCost,
} from "./profile.ts";
import { howToScript } from "./serial.ts";

const ALL_KEYS = [
  ...Object.keys(NOMINAL_DELAYS),
  ...[...ISTIO_BASE_CRDS, ...KIALI_CRDS].map((c) => `/CustomResourceDefinition/${c}`),
];

Deno.test("profileDelay() is the same on every call and within ±10 % of the nominal delay", () => {
  for (const key of ALL_KEYS) {
    const nominal = nominalDelay(key)!;
    const d = profileDelay(key)!;
    assertEquals(profileDelay(key), d, key);
    assert(d >= nominal * 0.9 && d <= nominal * 1.1, `${key}: ${d} vs ${nominal}`);
  }
  for (let seed = 1; seed <= 200; seed++) {
    const f = jitterFactor(`ns/Deployment/x${seed}`, { seed });
    assert(f >= 0.9 && f < 1.1, `factor ${f}`);
  }
});

Deno.test("profileDelay() pins the jittered delays of the fixed seed", () => {
  assertEquals(profileDelay("istio-system/Deployment/istiod"), 1609);
  assertEquals(profileDelay("istio-system/DaemonSet/ztunnel"), 1045);
  assertEquals(profileDelay("book-info/Deployment/productpage-v1"), 2094);
  assertEquals(profileDelay("/CustomResourceDefinition/telemetries.telemetry.istio.io"), 108);
});

Deno.test("profileDelay() jitters: another seed moves delays, jitter 0 gives the nominal ones", () => {
  const moved = ALL_KEYS.filter((k) => profileDelay(k, { seed: 1 }) !== profileDelay(k));
  assert(moved.length > ALL_KEYS.length / 2, `only ${moved.length} delays moved`);
  for (const key of ALL_KEYS) assertEquals(profileDelay(key, { jitter: 0 }), nominalDelay(key));
});

Deno.test("profileDelay() spreads bookinfo's Deployments over 1000-2000 ms, one delay per name", () => {
  const nominal = BOOKINFO_DEPLOYMENTS.map((d) => nominalDelay(`book-info/Deployment/${d}`));
  assertEquals(nominal, [1000, 1200, 1400, 1600, 1800, 2000]);
});

Deno.test("simReadyDelay() matches objects by namespace, kind and name; others are instant", () => {
  const crd = { kind: "CustomResourceDefinition", metadata: { name: "kialis.kiali.io" } };
  assertEquals(simReadyDelay(crd), profileDelay("/CustomResourceDefinition/kialis.kiali.io"));
  const kiali = { kind: "Deployment", metadata: { namespace: "kiali", name: "kiali" } };
  assertEquals(simReadyDelay(kiali), profileDelay("kiali/Deployment/kiali"));
  assertEquals(
    simReadyDelay({ kind: "Service", metadata: { namespace: "istio-ingress", name: "x" } }),
    undefined,
  );
});

Deno.test("profileCriticalPath() is base → istiod → ztunnel → bookinfo: 4856 ms (nominal 4600)", () => {
  const path = ["istio:base", "istio:istiod", "istio:ztunnel", "istio:install", "bookinfo"];
  // 108 (slowest base CRD) + 1609 (istiod) + 1045 (ztunnel) + 0 + 2094 (productpage-v1)
  assertEquals(profileCriticalPath(TASKS), { total: 4856, path });
  assertEquals(profileCriticalPath(TASKS, { jitter: 0 }), { total: 4600, path });
  // kiali's branch is shorter: base + istiod + CRD + operator + server
  assertEquals(taskCost("kiali"), 92 + 985 + 1487);
  assert(108 + 1609 + taskCost("kiali") < 4856);
});

Deno.test("TASK_WAITS costs every task of the DAG and no other", () => {
  assertEquals(Object.keys(TASK_WAITS).sort(), TASKS.map((t) => t.id).sort());
  assertThrows(() => taskCost("no-such-task"));
});

Deno.test("the profile names what the stand-ins create", async () => {
  const docs = async (path: string): Promise<Record<string, unknown>[]> =>
    parseAllDocuments(await Deno.readTextFile(`${REPO}/${path}`)).map((d) =>
      d.toJSON() as Record<string, unknown>
    );
  const names = (objs: Record<string, unknown>[], kind: string): string[] =>
    objs.filter((o) => o.kind === kind).map((o) => (o.metadata as { name: string }).name);
  const bookinfo = await docs("tests/bench/bookinfo/platform/kube/bookinfo.yaml");
  assertEquals(names(bookinfo, "Deployment"), [...BOOKINFO_DEPLOYMENTS]);
  const crds = await docs("tests/fixtures/charts/base/templates/crds.yaml");
  assertEquals(names(crds, "CustomResourceDefinition"), [...ISTIO_BASE_CRDS]);
});

function waitEvent(pending: string[], step = "app"): RunEvent {
  return {
    type: "wait",
    time: "",
    task: "bookinfo",
    step,
    pending: pending.map((name) => ({
      ref: { apiVersion: "apps/v1", kind: "Deployment", name, namespace: "book-info" },
      status: "InProgress",
      message: "",
    })),
  };
}

Deno.test("noticeSamples() takes the first event of the waiting step that no longer lists the object", () => {
  const events: TimedEvent[] = [
    { at: 10, event: waitEvent(["a", "b"]) },
    { at: 105, event: waitEvent(["a", "b"]) }, // after a's ready write, before the runner saw it
    { at: 112, event: waitEvent(["b"]) },
    {
      at: 230,
      event: {
        type: "step-done",
        time: "",
        task: "bookinfo",
        step: "app",
        action: "applied",
        durationMs: 1,
      },
    },
  ];
  const readyAt = new Map([
    ["book-info/Deployment/a", 100],
    ["book-info/Deployment/b", 200],
    ["istio-system/Deployment/istiod", 50], // helm waited on it: no sample
  ]);
  const samples = noticeSamples(readyAt, events);
  assertEquals(samples.map((s) => [s.key, s.latencyMs]), [
    ["book-info/Deployment/a", 12],
    ["book-info/Deployment/b", 30],
  ]);
});

Deno.test("percentile() is nearest-rank", () => {
  const v = Array.from({ length: 20 }, (_, i) => i + 1);
  assertEquals(percentile(v, 50), 10);
  assertEquals(percentile(v, 95), 19);
  assertEquals(percentile(v, 100), 20);
  assertEquals(percentile([7], 95), 7);
  assert(Number.isNaN(percentile([], 50)));
});

Deno.test("howToScript() follows the how-to: namespaces, helm install --wait one by one, then rollouts", () => {
  const env = {
    ...standInEnv("http://127.0.0.1:1/charts"),
    BOOKINFO_SOURCE: `${REPO}/tests/bench/bookinfo`,
  };
  const plan = buildPlan(TASKS, "up", {
    config: parseConfig(undefined, { env }),
    root: REPO,
    cwd: REPO,
  });
  const script = howToScript(plan, { dir: "/d", bookinfoDeployments: BOOKINFO_DEPLOYMENTS });
  const shape = script.commands.map((a) =>
    a[0] === "helm" ? `helm install ${a[2]}` : a.slice(0, 3).join(" ")
  );
  assertEquals(shape, [
    "kubectl create namespace",
    "helm install istio-base",
    "helm install istio-cni",
    "helm install istiod",
    "helm install ztunnel",
    "kubectl create namespace",
    "helm install istio-gateway",
    "kubectl apply -f",
    "kubectl create namespace",
    "helm install kiali-operator",
    "kubectl apply -f",
    "kubectl rollout status",
    "kubectl create namespace",
    "kubectl apply --namespace=book-info",
    "kubectl label namespace",
    ...BOOKINFO_DEPLOYMENTS.map(() => "kubectl rollout status"),
  ]);
  for (const a of script.commands.filter((c) => c[0] === "helm")) {
    assert(a.includes("--wait") && a.includes("--repo") && a.includes("--version"), a.join(" "));
  }
  const istiod = script.commands.find((a) => a[2] === "istiod")!;
  assert(istiod.includes("profile=ambient"), istiod.join(" "));
  assert(script.files.every((f) => f.path.startsWith("/d/") && f.content.length > 0));
});
