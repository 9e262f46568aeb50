import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../_assert.ts";
import {
  type Check,
  type CheckResult,
  checksExitCode,
  formatChecks,
  runChecks,
} from "../../../lib/checks/common.ts";
import { MissingBinaryError } from "../../../lib/kube/process.ts";
import { CommandError } from "../../../lib/kube/retry.ts";

const RESULTS: CheckResult[] = [
  {
    id: "k8s-version",
    title: "k8s version",
    status: "pass",
    detail: "v1.35.0 is supported by Istio 1.30 (1.32-1.36)",
  },
  {
    id: "istio-line",
    title: "Istio line",
    status: "warn",
    detail: "Istio 1.27.3: line 1.27 is near its end of life",
    hint: "set istio.version to a 1.30 release",
  },
  {
    id: "permissions",
    title: "permissions",
    status: "fail",
    detail: "denied: create customresourcedefinitions.apiextensions.k8s.io",
    hint: "use a context with cluster-admin rights",
  },
];

Deno.test("formatChecks() aligns titles, indents hints and ends with the counts", () => {
  assertEquals(
    formatChecks(RESULTS),
    [
      "✓ pass  k8s version  v1.35.0 is supported by Istio 1.30 (1.32-1.36)",
      "! warn  Istio line   Istio 1.27.3: line 1.27 is near its end of life",
      "        hint: set istio.version to a 1.30 release",
      "✗ fail  permissions  denied: create customresourcedefinitions.apiextensions.k8s.io",
      "        hint: use a context with cluster-admin rights",
      "doctor: 1 passed, 1 warning, 1 failed",
      "",
    ].join("\n"),
  );
});

Deno.test("formatChecks() pluralises warnings and takes another label", () => {
  const two = [RESULTS[1], { ...RESULTS[1], id: "x" }];
  assertStringIncludes(
    formatChecks(two, { label: "verify" }),
    "verify: 0 passed, 2 warnings, 0 failed",
  );
});

Deno.test("formatChecks() colours only the status column when asked", () => {
  const text = formatChecks(RESULTS, { color: true });
  assertStringIncludes(text, "\x1b[32m✓ pass\x1b[0m  k8s version");
  assertStringIncludes(text, "\x1b[33m! warn\x1b[0m");
  assertStringIncludes(text, "\x1b[31m✗ fail\x1b[0m");
  assert(!formatChecks(RESULTS).includes("\x1b["));
});

Deno.test("formatChecks() keeps a multi-line detail on one line", () => {
  const text = formatChecks([{ id: "a", title: "a", status: "fail", detail: "one\n  two\n" }]);
  assertStringIncludes(text, "✗ fail  a  one two\n");
});

Deno.test("formatChecks() of no results is only the summary line", () => {
  assertEquals(formatChecks([]), "doctor: 0 passed, 0 warnings, 0 failed\n");
});

Deno.test("checksExitCode() is 1 only when a check failed", () => {
  assertEquals(checksExitCode(RESULTS), 1);
  assertEquals(checksExitCode(RESULTS.slice(0, 2)), 0);
  assertEquals(checksExitCode([]), 0);
});

Deno.test("runChecks() keeps the order of the checks whatever order they finish in", async () => {
  const check = (id: string, ms: number): Check => ({
    id,
    title: id,
    run: async () => {
      await new Promise((r) => setTimeout(r, ms));
      return { status: "pass", detail: `${id} done` };
    },
  });
  const results = await runChecks([check("slow", 30), check("fast", 0), check("mid", 10)]);
  assertEquals(results.map((r) => r.id), ["slow", "fast", "mid"]);
  assertEquals(results[0], { id: "slow", title: "slow", status: "pass", detail: "slow done" });
});

Deno.test("runChecks() never runs more than the concurrency bound at once", async () => {
  let running = 0;
  let peak = 0;
  const checks: Check[] = Array.from({ length: 10 }, (_, i) => ({
    id: `c${i}`,
    title: `c${i}`,
    run: async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { status: "pass", detail: "" };
    },
  }));
  const results = await runChecks(checks, { concurrency: 3 });
  assertEquals(results.length, 10);
  assertEquals(peak, 3);
});

Deno.test("runChecks() turns a thrown error into a fail with its message", async () => {
  const [plain, command, missing] = await runChecks([
    {
      id: "plain",
      title: "plain",
      run: () => Promise.reject(new Error("Cannot read: boom\nsecond line")),
    },
    {
      id: "command",
      title: "command",
      run: () =>
        Promise.reject(
          new CommandError(["kubectl", "get", "nodes", "-o", "json"], {
            exitCode: 1,
            stderr: "warning: x\nError from server (Forbidden): nodes is forbidden\n",
          }),
        ),
    },
    {
      id: "missing",
      title: "missing",
      run: () => Promise.reject(new MissingBinaryError("helm", "helm")),
    },
  ]);
  assertEquals(plain.status, "fail");
  assertEquals(plain.detail, "Cannot read: boom second line");
  assertEquals(command.status, "fail");
  assertEquals(
    command.detail,
    "kubectl get nodes failed (exit code 1): Error from server (Forbidden): nodes is forbidden",
  );
  assertMatch(command.hint ?? "", /kubectl get nodes -o json/);
  assertEquals(missing.status, "fail");
  assertStringIncludes(missing.detail, 'Cannot run "helm"');
  assertStringIncludes(missing.hint ?? "", "install helm");
});
