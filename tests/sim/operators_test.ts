/**
 * The controllers the simulator plays for this stack, in `startSim` and in
 * `deno task sim` itself: Istio's gateway controller (Gateways Pending as
 * the CRD defaults give until istiod is ready, then Programmed with an
 * address) and the Kiali operator (a Kiali CR yields the server and the
 * operator's own status conditions). Driven with the real kubectl.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { withCluster } from "../_cluster.ts";
import { tools } from "./_tools.ts";
import { startSim } from "./mod.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const GATEWAY_CRDS = `${REPO}/tests/fixtures/gateway-api/standard-install.yaml`;

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
`;

const ISTIOD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: example.invalid/pilot:sim}]}
`;

const KIALI_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: kialis.kiali.io}
spec:
  group: kiali.io
  scope: Namespaced
  names: {kind: Kiali, listKind: KialiList, plural: kialis, singular: kiali}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources: {status: {}}
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

const KIALI_OPERATOR = `apiVersion: apps/v1
kind: Deployment
metadata: {name: kiali-operator, namespace: kiali}
spec:
  selector: {matchLabels: {app: kiali-operator}}
  template:
    metadata: {labels: {app: kiali-operator}}
    spec: {containers: [{name: operator, image: example.invalid/kiali-operator:sim}]}
`;

const KIALI_CR = `apiVersion: kiali.io/v1alpha1
kind: Kiali
metadata: {name: kiali, namespace: kiali}
spec: {auth: {strategy: anonymous}}
`;

Deno.test("the simulator's Gateway of class istio is Pending until istiod is ready, then Programmed with an address", async () => {
  const sim = await startSim({ readyAfterMs: 30 });
  await using t = await tools(sim);
  try {
    const ok = async (args: string[], stdin?: string): Promise<string> => {
      const r = await t.kubectl(args, stdin === undefined ? {} : { stdin });
      assertEquals(r.code, 0, r.output);
      return r.stdout;
    };
    await ok(["apply", "-f", GATEWAY_CRDS]);
    await ok(["wait", "--for=condition=Established", "crd/gateways.gateway.networking.k8s.io"]);
    await ok(["create", "namespace", "shop"]);
    await ok(["apply", "-f", "-"], GATEWAY);
    // what the API server's CRD defaults give
    const pending = JSON.parse(await ok(["get", "gateway", "web", "-n", "shop", "-o", "json"]));
    assertEquals(
      pending.status.conditions.map((c: Record<string, string>) =>
        `${c.type}=${c.status} ${c.reason}: ${c.message}`
      ),
      [
        "Accepted=Unknown Pending: Waiting for controller",
        "Programmed=Unknown Pending: Waiting for controller",
      ],
    );
    await ok(["create", "namespace", "istio-system"]);
    await ok(["apply", "-f", "-"], ISTIOD);
    await ok([
      "wait",
      "--for=condition=Programmed",
      "gateway/web",
      "-n",
      "shop",
      "--timeout=20s",
    ]);
    const gw = JSON.parse(await ok(["get", "gateway", "web", "-n", "shop", "-o", "json"]));
    const programmed = gw.status.conditions.find((c: Record<string, unknown>) =>
      c.type === "Programmed"
    );
    assertEquals(programmed.observedGeneration, gw.metadata.generation);
    assertMatch(gw.status.addresses[0].value, /^127\.0\.0\.\d+$/);
    // istiod provisioned the gateway's Deployment and LoadBalancer Service, owned by the Gateway
    const svc = JSON.parse(await ok(["get", "svc", "web-istio", "-n", "shop", "-o", "json"]));
    assertEquals(svc.spec.type, "LoadBalancer");
    assertEquals(svc.metadata.ownerReferences[0].kind, "Gateway");
    await ok(["get", "deploy", "web-istio", "-n", "shop"]);
    assertEquals(sim.errors, []);
  } finally {
    await sim.close();
  }
});

Deno.test("startSim({ operators: false }) leaves Gateways as the CRD defaults give", async () => {
  const sim = await startSim({ readyAfterMs: 30, operators: false });
  await using t = await tools(sim);
  try {
    for (const args of [["apply", "-f", GATEWAY_CRDS], ["create", "namespace", "shop"]]) {
      assertEquals((await t.kubectl(args)).code, 0);
    }
    await t.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/gateways.gateway.networking.k8s.io",
    ]);
    assertEquals((await t.kubectl(["apply", "-f", "-"], { stdin: GATEWAY })).code, 0);
    assertEquals((await t.kubectl(["create", "namespace", "istio-system"])).code, 0);
    assertEquals((await t.kubectl(["apply", "-f", "-"], { stdin: ISTIOD })).code, 0);
    await t.kubectl(["rollout", "status", "deploy/istiod", "-n", "istio-system", "--timeout=20s"]);
    const gw = await t.json(["get", "gateway", "web", "-n", "shop"]);
    const conditions = (gw.status as { conditions: { type: string; reason: string }[] }).conditions;
    assertEquals(conditions.map((c) => c.reason), ["Pending", "Pending"]);
  } finally {
    await sim.close();
  }
});

Deno.test("deno task sim plays the Kiali operator: a Kiali CR yields the kiali Deployment and the operator's Successful condition", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sim-task-" });
  const kubeconfig = `${dir}/kubeconfig.yaml`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "sim", "--kubeconfig", kubeconfig, "--ready-after", "30ms"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const first = await lines.read();
    assertMatch(first.value ?? "", /^sim ready http:\/\/127\.0\.0\.1:\d+ /);
    await using t = await tools({ kubeconfig });
    const ok = async (args: string[], stdin?: string): Promise<void> => {
      const r = await t.kubectl(args, stdin === undefined ? {} : { stdin });
      assertEquals(r.code, 0, r.output);
    };
    await ok(["apply", "-f", "-"], KIALI_CRD);
    await ok(["wait", "--for=condition=Established", "crd/kialis.kiali.io"]);
    await ok(["create", "namespace", "kiali"]);
    await ok(["apply", "-f", "-"], KIALI_OPERATOR);
    await ok(["rollout", "status", "deploy/kiali-operator", "-n", "kiali", "--timeout=20s"]);
    await ok(["apply", "-f", "-"], KIALI_CR);
    await ok(["wait", "--for=create", "deploy/kiali", "-n", "kiali", "--timeout=20s"]);
    await ok(["wait", "--for=condition=Successful", "kiali/kiali", "-n", "kiali", "--timeout=20s"]);
    const cr = await t.json(["get", "kiali", "kiali", "-n", "kiali"]);
    const running = (cr.status as { conditions: Record<string, string>[] }).conditions.find((c) =>
      c.type === "Running"
    );
    assert(running);
    assertEquals([running.status, running.reason], ["True", "Successful"]);
    // the operator's log tells the reconcile, as `kubectl logs --tail` shows it on a timeout
    const log = await t.kubectl(["logs", "deploy/kiali-operator", "-n", "kiali", "--tail=2"]);
    assertEquals(log.code, 0, log.output);
    const [start, end] = log.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals([start.msg, start.namespace, start.name], ["Reconciling Kiali", "kiali", "kiali"]);
    assertStringIncludes(end.msg, "Reconciliation successful");
  } finally {
    child.kill("SIGTERM");
    await lines.cancel().catch(() => undefined);
    await child.stderr.cancel().catch(() => undefined);
    const status = await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
    assertEquals(status.code, 0);
  }
});

Deno.test("up without a Kiali operator playing times out on deploy/kiali with a hint naming kiali-operator", async () => {
  await withCluster(async (c) => {
    const r = await c.run(["kiali", "--timeout", "3s"]);
    assertEquals(r.code, 1, r.out.slice(-2000));
    const failed = r.events.find((e) => e.type === "step-failed" && e.step === "server");
    assert(failed && failed.type === "step-failed", r.out.slice(-2000));
    assertStringIncludes(failed.error, "deploy/kiali");
    assertStringIncludes(r.out + r.err, "kiali-operator makes it from Kiali kiali/kiali");
    assertStringIncludes(r.out + r.err, "kubectl -n kiali logs deploy/kiali-operator --tail=50");
  }, { sim: { operators: false } });
});
