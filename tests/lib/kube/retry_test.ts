import { deepStrictEqual as assertEquals, rejects, strictEqual } from "node:assert/strict";
import {
  abortableSleep,
  backoffDelay,
  CommandError,
  formatArgv,
  isTransient,
  retry,
  type RetryInfo,
  transientCommandError,
} from "../../../lib/kube/retry.ts";

/** A fake clock whose sleep advances time instantly and records the delays. */
function fakeClock(): {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  slept: number[];
} {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
  };
}

const TRANSIENT_STDERR: [string, string][] = [
  [
    "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later",
    "rate limited (429)",
  ],
  [
    'Error: UPGRADE FAILED: failed to create resource: Post "https://10.0.0.1:6443/apis/apps/v1/namespaces/istio-system/deployments": status code 429',
    "rate limited (429)",
  ],
  [
    "Error from server (InternalError): Internal error occurred: resource quota evaluation timed out",
    "server error (5xx)",
  ],
  [
    "Error from server (ServiceUnavailable): the server is currently unable to handle the request (get pods)",
    "server unavailable (503)",
  ],
  ["error: unexpected response status code 502", "server error (5xx)"],
  [
    'Error from server (InternalError): error when creating "gw.yaml": Internal error occurred: failed calling webhook "validation.istio.io": failed to call webhook: Post "https://istiod.istio-system.svc:443/validate?timeout=10s": dial tcp 10.96.0.15:443: connect: connection refused',
    "server error (5xx)",
  ],
  [
    'Error: failed calling webhook "namespace.sidecar-injector.istio.io": context deadline exceeded',
    "admission webhook not reachable yet",
  ],
  ["Error from server: etcdserver: leader changed", "etcd leader change"],
  [
    "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
    "another helm operation in progress",
  ],
  [
    "Unable to connect to the server: read tcp 10.0.0.5:52312->10.0.0.1:6443: read: connection reset by peer",
    "connection reset",
  ],
  ['Get "https://10.0.0.1:6443/api/v1/pods": http2: client connection lost', "connection lost"],
  ["Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout", "i/o timeout"],
  ["Unable to connect to the server: net/http: TLS handshake timeout", "TLS handshake timeout"],
  ['error: Get "https://10.0.0.1:6443/apis?timeout=32s": EOF', "connection closed (EOF)"],
  [
    "The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?\nerror: the server was unable to return a response in the time allotted, but may still be processing the request (get pods)",
    "server timeout (504)",
  ],
];

for (const [stderr, reason] of TRANSIENT_STDERR) {
  Deno.test(`isTransient() retries "${stderr.slice(0, 60)}…" as ${reason}`, () => {
    assertEquals(isTransient({ exitCode: 1, stderr }), { transient: true, reason });
  });
}

Deno.test("isTransient() does not retry validation, permission or not-found errors", () => {
  for (
    const stderr of [
      'Error from server (NotFound): deployments.apps "istiod" not found',
      'Error from server (Forbidden): pods is forbidden: User "dev" cannot list resource "pods"',
      'The Deployment "istiod" is invalid: spec.template.metadata.labels: Invalid value',
      'Error: admission webhook "validation.istio.io" denied the request: configuration is invalid',
      "error: error parsing values.yaml: error converting YAML to JSON: yaml: line 429: did not find expected key",
      "Error: INSTALLATION FAILED: cannot re-use a name that is still in use",
      "error: error parsing manifest.json: unexpected EOF",
    ]
  ) {
    strictEqual(isTransient({ exitCode: 1, stderr }).transient, false, stderr);
  }
});

Deno.test("isTransient() retries connection refused only once the API server was seen", () => {
  const failure = {
    exitCode: 1,
    stderr:
      "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?",
  };
  assertEquals(isTransient(failure), { transient: false, reason: "connection refused" });
  strictEqual(isTransient(failure, { serverSeen: true }).transient, true);
});

Deno.test("isTransient() never retries a missing binary", () => {
  assertEquals(isTransient({ exitCode: 127, stderr: "helm: connection reset by peer" }), {
    transient: false,
    reason: "command not found",
  });
});

Deno.test("retry() retries with capped exponential backoff until success", async () => {
  const clock = fakeClock();
  const retries: RetryInfo[] = [];
  const result = await retry((attempt) => {
    if (attempt < 5) return Promise.reject(new Error("flaky"));
    return Promise.resolve(`ok after ${attempt}`);
  }, {
    isRetryable: () => "flaky",
    baseMs: 100,
    maxDelayMs: 500,
    sleep: clock.sleep,
    now: clock.now,
    onRetry: (info) => retries.push(info),
  });
  strictEqual(result, "ok after 5");
  assertEquals(clock.slept, [100, 200, 400, 500]);
  assertEquals(retries.map((r) => [r.attempt, r.delayMs, r.reason]), [
    [1, 100, "flaky"],
    [2, 200, "flaky"],
    [3, 400, "flaky"],
    [4, 500, "flaky"],
  ]);
});

Deno.test("retry() rethrows a non-retryable error at once", async () => {
  const clock = fakeClock();
  let calls = 0;
  const boom = new Error("invalid");
  await rejects(
    retry(() => {
      calls++;
      return Promise.reject(boom);
    }, { isRetryable: () => undefined, sleep: clock.sleep, now: clock.now }),
    (e) => e === boom,
  );
  strictEqual(calls, 1);
  assertEquals(clock.slept, []);
});

Deno.test("retry() gives up after maxAttempts with the last error", async () => {
  const clock = fakeClock();
  let calls = 0;
  await rejects(
    retry(() => Promise.reject(new Error(`failure ${++calls}`)), {
      isRetryable: () => "x",
      maxAttempts: 3,
      sleep: clock.sleep,
      now: clock.now,
    }),
    /failure 3/,
  );
  strictEqual(calls, 3);
});

Deno.test("retry() stops before a delay would overrun the total cap", async () => {
  const clock = fakeClock();
  let calls = 0;
  await rejects(
    retry(() => Promise.reject(new Error(`failure ${++calls}`)), {
      isRetryable: () => "x",
      baseMs: 1000,
      maxDelayMs: 8000,
      maxAttempts: 100,
      totalCapMs: 10_000,
      sleep: clock.sleep,
      now: clock.now,
    }),
    /failure 4/,
  );
  assertEquals(clock.slept, [1000, 2000, 4000]);
});

Deno.test("retry() stops when the signal aborts during a pause", async () => {
  const controller = new AbortController();
  let calls = 0;
  await rejects(
    retry(() => {
      calls++;
      return Promise.reject(new Error("flaky"));
    }, {
      isRetryable: () => "flaky",
      signal: controller.signal,
      sleep: (_ms, signal) => {
        controller.abort(new Error("cancelled by user"));
        return abortableSleep(60_000, signal);
      },
    }),
    /cancelled by user/,
  );
  strictEqual(calls, 1);
});

Deno.test("retry() does not call fn when the signal is already aborted", async () => {
  let calls = 0;
  await rejects(
    retry(() => Promise.resolve(++calls), {
      isRetryable: () => "x",
      signal: AbortSignal.abort(new Error("stop")),
    }),
    /stop/,
  );
  strictEqual(calls, 0);
});

Deno.test("backoffDelay() adds jitter only from an injected random source", () => {
  const options = { baseMs: 100, maxDelayMs: 1000 };
  assertEquals([1, 2, 3, 4, 5].map((a) => backoffDelay(a, options)), [100, 200, 400, 800, 1000]);
  strictEqual(backoffDelay(3, { ...options, rng: () => 0 }), 200);
  strictEqual(backoffDelay(3, { ...options, rng: () => 0.5 }), 300);
});

Deno.test("abortableSleep() resolves after the delay and leaves no timer behind", async () => {
  const controller = new AbortController();
  await abortableSleep(1, controller.signal);
  controller.abort();
});

Deno.test("CommandError formats the command, exit code and stderr tail", () => {
  const stderr = Array.from({ length: 14 }, (_, i) => `line ${i + 1}`).join("\n") + "\n\n";
  const error = new CommandError(
    ["helm", "upgrade", "--install", "istiod", "istio/istiod", "--set", "a=b c"],
    { exitCode: 1, stderr, tailLines: 3 },
  );
  strictEqual(
    error.message,
    [
      "Command failed: helm upgrade --install istiod istio/istiod --set 'a=b c'",
      "    exit code: 1",
      "    stderr:",
      "      line 12",
      "      line 13",
      "      line 14",
    ].join("\n"),
  );
  strictEqual(error.stderr, "line 12\nline 13\nline 14");
  strictEqual(error.exitCode, 1);
  strictEqual(error.name, "CommandError");
  strictEqual(error instanceof Error, true);
});

Deno.test("CommandError explains well-known exit codes and signals", () => {
  const error = new CommandError(["kubectl", "wait"], {
    exitCode: null,
    stderr: "",
    signal: "SIGTERM",
  });
  strictEqual(
    error.message,
    "Command failed: kubectl wait\n    exit code: none\n    signal: SIGTERM",
  );
  const missing = new CommandError(["helmm"], { exitCode: 127, stderr: "helmm: not found" });
  strictEqual(missing.message.split("\n")[1], "    exit code: 127 (Command not found)");
});

Deno.test("transientCommandError() classifies CommandErrors by their stderr", () => {
  const busy = new CommandError(["helm", "upgrade"], {
    exitCode: 1,
    stderr: "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
  });
  strictEqual(transientCommandError(busy), "another helm operation in progress");
  strictEqual(transientCommandError(new Error("connection reset by peer")), undefined);
});

Deno.test("formatArgv() quotes words a shell would split", () => {
  strictEqual(
    formatArgv([
      "kubectl",
      "-n",
      "istio-system",
      "get",
      "pods",
      "-o",
      "jsonpath={.items[*]}",
      "it's",
    ]),
    "kubectl -n istio-system get pods -o 'jsonpath={.items[*]}' 'it'\\''s'",
  );
});
