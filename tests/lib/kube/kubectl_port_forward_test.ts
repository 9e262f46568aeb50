import { assertEquals, assertRejects, assertStringIncludes } from "../../_assert.ts";
import { kubectlPortForwardGet } from "../../../lib/kube/kubectl_port_forward.ts";
import type { ProcessRunner, ProcOptions, ProcResult } from "../../../lib/kube/process.ts";

const TARGET = { namespace: "istio-system", pod: "ztunnel-a", port: 15000 };
const ARGV = ["kubectl", "port-forward", "-n", "istio-system", "pod/ztunnel-a", ":15000"];

/** A kubectl that behaves as `script` says, ended by its signal like a real child. */
class ScriptedKubectl implements ProcessRunner {
  stopped = false;
  constructor(
    readonly script: (options: ProcOptions) => Promise<ProcResult | undefined>,
  ) {}
  async run(_argv: readonly string[], options: ProcOptions = {}): Promise<ProcResult> {
    const early = await this.script(options);
    if (early) return early;
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    this.stopped = true;
    return { code: 0, stdout: "", stderr: "" };
  }
}

Deno.test("kubectlPortForwardGet() fetches from the port kubectl prints, then stops kubectl", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => new Response(`{"path":"${new URL(req.url).pathname}"}`),
  );
  try {
    const proc = new ScriptedKubectl(async (o) => {
      assertEquals(o.timeoutMs, 0, "ended by its signal, which carries the deadline");
      o.onStdout?.("Forwarding from 127.0.0.1:");
      await Promise.resolve();
      o.onStdout?.(
        `${server.addr.port} -> 15000\nForwarding from [::1]:${server.addr.port} -> 15000\n`,
      );
      return undefined;
    });
    const r = await kubectlPortForwardGet(proc, ARGV, TARGET, { path: "/config_dump" });
    assertEquals(r, { status: 200, body: '{"path":"/config_dump"}' });
    assertEquals(proc.stopped, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("kubectlPortForwardGet() reports kubectl's own error when it exits first", async () => {
  const proc = new ScriptedKubectl(() =>
    Promise.resolve({
      code: 1,
      stdout: "",
      stderr: "error: unable to forward port because pod is not running. Current status=Pending\n",
    })
  );
  const e = await assertRejects(() =>
    kubectlPortForwardGet(proc, ARGV, TARGET, { path: "/config_dump" })
  );
  assertStringIncludes(
    (e as Error).message,
    "Cannot port-forward istio-system/ztunnel-a 15000: kubectl exited 1: unable to forward port because pod is not running",
  );
});

Deno.test("kubectlPortForwardGet() gives up at its deadline when kubectl never forwards", async () => {
  const proc = new ScriptedKubectl(() => Promise.resolve(undefined));
  const e = await assertRejects(() =>
    kubectlPortForwardGet(proc, ARGV, TARGET, { path: "/config_dump", timeoutMs: 50 })
  );
  assertStringIncludes((e as Error).message, "within 0.05 s");
  assertEquals(proc.stopped, true, "kubectl is stopped");
});
