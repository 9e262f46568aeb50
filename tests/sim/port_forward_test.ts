/**
 * Port-forward as the real kubectl 1.35 speaks it (SPDY/3.1 tunneled in a
 * WebSocket), against the simulator's ztunnel: its admin API on localhost
 * only, reachable this way and not through the pod proxy; and the framing
 * underneath.
 */
import zlib from "node:zlib";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { withKube } from "./_kubectl.ts";
import { kubeBinaries } from "./binaries.ts";
import type { Sim } from "./mod.ts";
import {
  adler32,
  controlFrame,
  dataFrame,
  FrameReader,
  HEADER_DICTIONARY,
  headerBlock,
  HeaderDeflater,
  HeaderInflater,
  PING,
} from "./spdy.ts";

const ZTUNNEL = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "ztunnel-x1", namespace: "istio-system", labels: { app: "ztunnel" } },
  spec: { nodeName: "sim-node-1", containers: [{ name: "istio-proxy", image: "ztunnel" }] },
};

/** `kubectl port-forward pod/NAME :PORT`, until `fn` is done; `fn` gets the local port. */
async function portForward(
  sim: Sim,
  home: string,
  remote: number,
  fn: (local: number, stderr: () => string) => Promise<void>,
): Promise<void> {
  const { kubectl } = await kubeBinaries();
  const child = new Deno.Command(kubectl, {
    args: ["port-forward", "-n", "istio-system", "pod/ztunnel-x1", `:${remote}`],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: sim.kubeconfig },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  let stderr = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (s) => void (stderr += s) }),
  );
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    let local: number | undefined;
    while (local === undefined) {
      const { value, done } = await reader.read();
      assert(!done, `kubectl port-forward ended: ${stderr}`);
      out += value;
      const m = /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/.exec(out);
      if (m) {
        assertEquals(Number(m[2]), remote);
        local = Number(m[1]);
      }
    }
    const drain = (async () => {
      while (!(await reader.read()).done) { /* "Handling connection for ..." */ }
    })();
    await fn(local, () => stderr);
    try {
      child.kill("SIGTERM");
    } catch {
      // kubectl 1.35 ends by itself after a forwarding error ("lost connection to pod")
    }
    await drain;
  } finally {
    await child.status;
    await errDone.catch(() => undefined);
  }
}

Deno.test("kubectl port-forward reaches ztunnel's admin API on localhost over SPDY in a WebSocket", async () => {
  await withKube(async (sim, t) => {
    sim.seed(ZTUNNEL);
    await portForward(sim, t.home, 15000, async (local) => {
      for (const round of [1, 2]) {
        // two connections: two stream pairs on the one session
        const r = await fetch(`http://127.0.0.1:${local}/config_dump`, {
          signal: AbortSignal.timeout(10_000),
        });
        assertEquals(r.status, 200, `round ${round}`);
        const dump = await r.json();
        assertEquals(dump.config.adminAddr, "localhost:15000");
        assertEquals(dump.config.node, "sim-node-1");
      }
    });
    const pf = sim.requests.list({ path: /\/pods\/ztunnel-x1\/portforward$/ });
    assertEquals(pf.length, 1, "one tunnel for both connections");
    assertEquals(pf[0].method, "GET");
  });
});

Deno.test("kubectl port-forward to a port nothing listens on reports the kubelet's error", async () => {
  await withKube(async (sim, t) => {
    sim.seed(ZTUNNEL);
    await portForward(sim, t.home, 15001, async (local, stderr) => {
      const failed = await fetch(`http://127.0.0.1:${local}/`, {
        signal: AbortSignal.timeout(10_000),
      }).then((r) => r.body?.cancel(), (e: Error) => e);
      assert(failed instanceof Error, "no HTTP answer through a refused port");
      for (let i = 0; i < 100 && !stderr().includes("refused"); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assertMatch(
        stderr(),
        /error forwarding port 15001 to pod istio-system\/ztunnel-x1: dial tcp 10\.244\.\d+\.\d+:15001: connect: connection refused/,
      );
    });
  });
});

Deno.test("the pod proxy refuses ztunnel's admin port that port-forward reaches", async () => {
  await withKube(async (sim, t) => {
    sim.seed(ZTUNNEL);
    const r = await t.kubectl([
      "get",
      "--raw",
      "/api/v1/namespaces/istio-system/pods/ztunnel-x1:15000/proxy/config_dump",
    ]);
    assert(r.code !== 0);
    assertStringIncludes(r.stderr, "connection refused");
  });
});

Deno.test("spdy: the header dictionary is SPDY/3's, 1423 bytes", () => {
  assertEquals(HEADER_DICTIONARY.length, 1423);
  assertEquals(new TextDecoder().decode(HEADER_DICTIONARY.subarray(0, 11)), "\0\0\0\x07options");
  assert(new TextDecoder().decode(HEADER_DICTIONARY).endsWith("utf-,*,enq=0."));
  assertEquals(adler32(new TextEncoder().encode("Wikipedia")), 0x11e60398);
});

Deno.test("spdy: header blocks round-trip through zlib with the dictionary, one stream per session", () => {
  const deflater = new HeaderDeflater();
  const first = deflater.deflate({ streamType: "error", port: "15000", requestID: "0" });
  const second = deflater.deflate({ streamType: "data", port: "15000", requestID: "0" });
  // what a peer reads: the whole stream so far, sync-flushed
  const all = new Uint8Array([...first, ...second]);
  const text = new Uint8Array(
    zlib.inflateSync(all, {
      dictionary: HEADER_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    }),
  );
  assertEquals(
    text,
    new Uint8Array([
      ...headerBlock({ streamtype: "error", port: "15000", requestid: "0" }),
      ...headerBlock({ streamtype: "data", port: "15000", requestid: "0" }),
    ]),
  );
  // read back block by block, as the peer's session does (kubectl's own
  // compressed blocks, with references into the dictionary, are read in the
  // tests above)
  const inflater = new HeaderInflater();
  assertEquals(inflater.inflate(first).get("streamtype"), "error");
  assertEquals(inflater.inflate(second).get("streamtype"), "data");
});

Deno.test("spdy: frames split across messages are read whole", () => {
  const reader = new FrameReader();
  const bytes = new Uint8Array([
    ...controlFrame(PING, 0, new Uint8Array([0, 0, 0, 7])),
    ...dataFrame(3, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), 1),
  ]);
  assertEquals(reader.push(bytes.subarray(0, 5)), []);
  const frames = reader.push(bytes.subarray(5, 20));
  assertEquals(frames.length, 1);
  assert(frames[0].control && frames[0].type === PING);
  const rest = reader.push(bytes.subarray(20));
  assertEquals(rest.length, 1);
  assert(!rest[0].control);
  assertEquals(rest[0].streamId, 3);
  assertEquals(rest[0].flags, 1);
  assertEquals(new TextDecoder().decode(rest[0].data), "GET / HTTP/1.1\r\n\r\n");
});
