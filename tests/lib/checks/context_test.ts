import { assertEquals, assertRejects } from "../../_assert.ts";
import { bindChecks, CheckContext, type CheckDef, NODE, POD } from "../../../lib/checks/context.ts";
import { parseConfig } from "../../../lib/config/config.ts";
import { Kube } from "../../../lib/kube/kube.ts";
import type { ProcessRunner, ProcResult } from "../../../lib/kube/process.ts";
import { CommandError } from "../../../lib/kube/retry.ts";
import { Redactor } from "../../../lib/output/redact.ts";

/** Answers each kubectl argv from a table and records what ran. */
class FakeProc implements ProcessRunner {
  readonly ran: string[] = [];
  readonly #answers: (argv: string) => ProcResult;

  constructor(answers: (argv: string) => ProcResult) {
    this.#answers = answers;
  }

  run(argv: readonly string[]): Promise<ProcResult> {
    const line = argv.join(" ");
    this.ran.push(line);
    return Promise.resolve(this.#answers(line));
  }
}

function contextWith(
  answers: (argv: string) => ProcResult,
  env: Record<string, string> = {},
): { ctx: CheckContext; proc: FakeProc } {
  const proc = new FakeProc(answers);
  const kube = new Kube({
    proc,
    target: { context: "lab" },
    redactor: new Redactor(),
    retry: { baseMs: 1, maxAttempts: 1 },
  });
  return {
    ctx: new CheckContext(
      kube,
      parseConfig(undefined, { env: { CLUSTER_DOMAIN: "lab.example.com", ...env } }),
    ),
    proc,
  };
}

const ok = (stdout: string): ProcResult => ({ code: 0, stdout, stderr: "" });

Deno.test("CheckContext.get() runs one kubectl get per object however many checks ask", async () => {
  const { ctx, proc } = contextWith(() =>
    ok(JSON.stringify({ kind: "ConfigMap", data: { a: "1" } }))
  );
  const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: "kube-system", name: "x" };
  const [a, b] = await Promise.all([ctx.get(ref), ctx.get(ref)]);
  assertEquals(a, b);
  assertEquals(a?.data, { a: "1" });
  assertEquals(proc.ran, [
    "kubectl get configmap/x --namespace=kube-system --ignore-not-found -o json --context=lab",
  ]);
});

Deno.test("CheckContext.get() finds nothing when the kind is not served, and throws otherwise", async () => {
  const { ctx } = contextWith((argv) => ({
    code: 1,
    stdout: "",
    stderr: argv.includes("kiali")
      ? 'error: the server doesn\'t have a resource type "kialis"'
      : "error: Unauthorized",
  }));
  assertEquals(
    await ctx.get({ apiVersion: "kiali.io/v1alpha1", kind: "Kiali", namespace: "k", name: "k" }),
    undefined,
  );
  await assertRejects(
    () => ctx.get({ apiVersion: "v1", kind: "Service", namespace: "k", name: "k" }),
    CommandError,
  );
});

Deno.test("CheckContext.list() passes the namespace and a label selector, else every namespace", async () => {
  const { ctx, proc } = contextWith(() => ok(JSON.stringify({ items: [{ kind: "Pod" }] })));
  assertEquals(await ctx.list(POD, { namespace: "istio-system", labelSelector: "app=z" }), [
    { kind: "Pod" },
  ]);
  await ctx.list({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" });
  await ctx.list(NODE);
  await ctx.list(NODE);
  assertEquals(proc.ran, [
    "kubectl get pod --namespace=istio-system -l app=z -o json --context=lab",
    "kubectl get networkpolicy.v1.networking.k8s.io --all-namespaces -o json --context=lab",
    "kubectl get node --all-namespaces -o json --context=lab",
  ]);
});

Deno.test("CheckContext.version() reports an unreachable server instead of throwing", async () => {
  const { ctx } = contextWith(() => ({
    code: 1,
    stdout: JSON.stringify({ clientVersion: { gitVersion: "v1.35.0" } }),
    stderr: "The connection to the server 127.0.0.1:1 was refused\n",
  }));
  assertEquals(await ctx.version(), {
    ok: false,
    error: "The connection to the server 127.0.0.1:1 was refused",
  });
});

Deno.test("bindChecks() leaves out checks whose appliesTo is false and binds the rest to the context", async () => {
  const { ctx } = contextWith(() => ok(""), { KIALI_ENABLED: "false" });
  const seen: CheckContext[] = [];
  const defs: CheckDef[] = [
    {
      id: "always",
      title: "always",
      run: (c) => {
        seen.push(c);
        return Promise.resolve({ status: "pass", detail: "ran" });
      },
    },
    {
      id: "kiali",
      title: "kiali",
      appliesTo: (config) => config.kiali.enabled,
      run: () => Promise.resolve({ status: "fail", detail: "should not run" }),
    },
  ];
  const checks = bindChecks(defs, ctx);
  assertEquals(checks.map((c) => c.id), ["always"]);
  assertEquals(await checks[0].run(), { status: "pass", detail: "ran" });
  assertEquals(seen, [ctx]);
});
