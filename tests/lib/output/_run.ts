/**
 * A recorded run of `up` for the output tests, and helpers that render it
 * (or any events) in one mode into strings.
 *
 * @module
 */

import type { RunEvent } from "../../../lib/output/events.ts";
import { createOutput, type OutputOptions } from "../../../lib/output/mod.ts";

/** A secret the tests register with the redactor. */
export const SECRET = "oidc-Sup3r-s3cret";

/** A timestamp on 2025-06-01 at `clock` (UTC). */
export function at(clock: string): string {
  return `2025-06-01T${clock}Z`;
}

/** A run of `up`: one task done, one unchanged, one failing after retries and waits. */
export const EVENTS: RunEvent[] = [
  {
    type: "plan",
    time: at("12:03:04.000"),
    target: "up",
    tasks: [
      {
        id: "gateway-api",
        deps: [],
        steps: [{ id: "crds", kind: "apply", description: "Gateway API CRDs v1.3.0" }],
      },
      {
        id: "istio:base",
        deps: ["gateway-api"],
        steps: [{ id: "release", kind: "helm-release", description: "istio/base 1.28.0" }],
      },
      {
        id: "istio:istiod",
        deps: ["istio:base"],
        steps: [
          { id: "release", kind: "helm-release", description: "istio/istiod 1.28.0" },
          { id: "rollout", kind: "wait", description: "istiod ready" },
        ],
      },
      {
        id: "kiali",
        deps: ["istio:istiod"],
        steps: [{ id: "oidc-secret", kind: "secret", description: "Secret kiali" }],
      },
    ],
  },
  {
    type: "context",
    time: at("12:03:04.000"),
    context: "home-lab",
    server: "https://10.0.0.1:6443",
  },
  { type: "task-start", time: at("12:03:04.000"), task: "gateway-api" },
  {
    type: "step-start",
    time: at("12:03:04.010"),
    task: "gateway-api",
    step: "crds",
    kind: "apply",
    description: "Gateway API CRDs v1.3.0",
  },
  {
    type: "cmd",
    time: at("12:03:04.020"),
    task: "gateway-api",
    step: "crds",
    argv: ["kubectl", "apply", "--server-side", "--field-manager=meshup", "-f", "-"],
  },
  {
    type: "wait",
    time: at("12:03:04.500"),
    task: "gateway-api",
    step: "crds",
    pending: [{
      ref: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name: "gateways.gateway.networking.k8s.io",
      },
      status: "InProgress",
      message: "Install in progress",
    }],
  },
  {
    type: "step-done",
    time: at("12:03:05.510"),
    task: "gateway-api",
    step: "crds",
    action: "applied",
    durationMs: 1500,
  },
  {
    type: "task-done",
    time: at("12:03:05.520"),
    task: "gateway-api",
    outcome: "done",
    durationMs: 1520,
  },
  { type: "task-start", time: at("12:03:05.530"), task: "istio:base" },
  {
    type: "step-skip",
    time: at("12:03:05.600"),
    task: "istio:base",
    step: "release",
    reason: "unchanged (fingerprint 3f2a9c)",
  },
  {
    type: "task-done",
    time: at("12:03:05.610"),
    task: "istio:base",
    outcome: "unchanged",
    durationMs: 80,
  },
  { type: "task-start", time: at("12:03:05.620"), task: "istio:istiod" },
  {
    type: "step-start",
    time: at("12:03:05.630"),
    task: "istio:istiod",
    step: "release",
    kind: "helm-release",
    description: "istio/istiod 1.28.0",
  },
  {
    type: "cmd",
    time: at("12:03:05.640"),
    task: "istio:istiod",
    step: "release",
    argv: [
      "helm",
      "upgrade",
      "--install",
      "istiod",
      "istiod",
      "--set",
      `pilot.env.TOKEN=${SECRET}`,
    ],
  },
  {
    type: "retry",
    time: at("12:03:06.000"),
    task: "istio:istiod",
    step: "release",
    attempt: 1,
    delayMs: 500,
    reason: "another helm operation in progress",
  },
  {
    type: "step-done",
    time: at("12:03:07.000"),
    task: "istio:istiod",
    step: "release",
    action: "installed",
    durationMs: 1370,
  },
  {
    type: "step-start",
    time: at("12:03:07.010"),
    task: "istio:istiod",
    step: "rollout",
    kind: "wait",
    description: "istiod ready",
  },
  ...[8, 10, 12.9, 13, 14, 18.5].map((s): RunEvent => ({
    type: "wait",
    time: at(
      `12:03:${String(Math.floor(s)).padStart(2, "0")}.${
        String(Math.round((s % 1) * 1000)).padStart(3, "0")
      }`,
    ),
    task: "istio:istiod",
    step: "rollout",
    pending: [
      {
        ref: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "istiod",
          namespace: "istio-system",
        },
        status: "InProgress",
        message: `Available: 0/1`,
      },
      {
        ref: { apiVersion: "v1", kind: "Service", name: "istiod", namespace: "istio-system" },
        status: "InProgress",
        message: "x",
      },
    ],
  })),
  {
    type: "step-failed",
    time: at("12:03:19.000"),
    task: "istio:istiod",
    step: "rollout",
    error:
      'Cannot ready "istiod": not ready after 12s: pod istiod-7f9 CrashLoopBackOff (last event: Back-off restarting failed container)',
    durationMs: 11990,
  },
  {
    type: "task-done",
    time: at("12:03:19.010"),
    task: "istio:istiod",
    outcome: "failed",
    durationMs: 13390,
  },
  {
    type: "log",
    time: at("12:03:19.020"),
    level: "warn",
    message: `not running kiali: istio:istiod failed (secret ${SECRET} unused)`,
    task: "kiali",
  },
  {
    type: "summary",
    time: at("12:03:19.030"),
    ok: false,
    durationMs: 15030,
    tasks: [
      { id: "gateway-api", outcome: "done", durationMs: 1520 },
      { id: "istio:base", outcome: "unchanged", durationMs: 80 },
      {
        id: "istio:istiod",
        outcome: "failed",
        durationMs: 13390,
        reason: 'Cannot ready "istiod": not ready after 12s',
      },
      { id: "kiali", outcome: "not-run", durationMs: 0 },
    ],
  },
];

/** An output in `mode` that writes into arrays, at a fixed time, in UTC and without colour. */
export function capture(
  mode: "tty" | "plain" | "json",
  options: OutputOptions = {},
): { out: string[]; err: string[]; output: ReturnType<typeof createOutput> } {
  const out: string[] = [];
  const err: string[] = [];
  const output = createOutput(mode, {
    write: (s) => out.push(s),
    writeError: (s) => err.push(s),
    now: () => new Date(at("12:03:10.000")),
    utc: true,
    color: false,
    ...options,
  });
  return { out, err, output };
}

/** What `mode` writes for {@link EVENTS}. */
export function run(mode: "tty" | "plain" | "json", options: OutputOptions = {}): string {
  const { out, output } = capture(mode, options);
  for (const e of EVENTS) output.emit(e);
  output.close();
  return out.join("");
}
