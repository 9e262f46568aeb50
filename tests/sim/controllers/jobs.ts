/**
 * Jobs: one pod that runs, then the Complete (or, with a fault, Failed)
 * condition.
 *
 * @module
 */

import { arr, isRec, nowIso, num, randomSuffix, rec, str } from "../object.ts";
import type { PodState } from "../pod_status.ts";
import type { ControllerContext } from "./_context.ts";
import { condition, ownedBy } from "./_objects.ts";
import type { PodController } from "./pods.ts";

/** The Job controller. */
export class JobController {
  #ctx: ControllerContext;
  #pods: PodController;

  constructor(ctx: ControllerContext, pods: PodController) {
    this.#ctx = ctx;
    this.#pods = pods;
  }

  /** Reconciles one Job. */
  job(namespace: string, name: string): void {
    const type = this.#ctx.type("batch", "jobs");
    const job = this.#ctx.api.peek(type, namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = rec(job.spec);
    if (spec.suspend === true) return;
    const fault = this.#ctx.api.faults.forObject(job);
    const status = rec(job.status);
    if (
      arr(status.conditions).some((c) =>
        isRec(c) && (c.type === "Complete" || c.type === "Failed") && c.status === "True"
      )
    ) return;
    const template = rec(spec.template);
    const rollout = this.#ctx.ready("job", job, "run");
    const uid = job.metadata.uid ?? "";
    const labels = {
      ...(rec(rec(template.metadata).labels) as Record<string, string>),
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": name,
      "controller-uid": uid,
      "job-name": name,
    };
    const finished = rollout.ready && fault?.fault !== "never-ready";
    const failed = finished && fault?.fault === "job-failed";
    const podState: PodState = !rollout.ready
      ? (fault?.fault === "unschedulable" ? "unschedulable" : "ready")
      : fault?.fault === "never-ready" || fault?.fault === "crash-loop" ||
          fault?.fault === "image-pull-backoff"
      ? this.#ctx.podState(true, fault)
      : failed
      ? "failed"
      : "succeeded";
    const existing = this.#ctx.api.store.peekList("/pods", namespace).filter((p) =>
      ownedBy(p, job)
    );
    const podName = existing[0]?.metadata.name ?? `${name}-${randomSuffix(this.#ctx.random)}`;
    const hadPod = existing.length > 0;
    this.#pods.syncPods(
      job,
      [{ name: podName, labels }],
      template,
      podState,
      fault,
      (p, w) => p.metadata.name === w.name,
    );
    if (!hadPod) {
      this.#ctx.events.record(
        job,
        "Normal",
        "SuccessfulCreate",
        `Created pod: ${podName}`,
        "job-controller",
      );
    }
    const now = nowIso();
    const startTime = str(status.startTime, now);
    const completions = num(spec.completions, 1);
    const prev = status.conditions;
    if (failed) {
      this.#ctx.api.writeStatus(type, job, {
        startTime,
        failed: num(spec.backoffLimit, 6) + 1,
        terminating: 0,
        ready: 0,
        uncountedTerminatedPods: {},
        conditions: [
          condition(
            prev,
            "FailureTarget",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            { lastProbeTime: now },
          ),
          condition(
            prev,
            "Failed",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            { lastProbeTime: now },
          ),
        ],
      });
      this.#ctx.events.record(
        job,
        "Warning",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
        "job-controller",
      );
      return;
    }
    if (finished) {
      this.#ctx.api.writeStatus(type, job, {
        startTime,
        completionTime: now,
        succeeded: completions,
        terminating: 0,
        ready: 0,
        uncountedTerminatedPods: {},
        conditions: [
          condition(
            prev,
            "SuccessCriteriaMet",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            { lastProbeTime: now },
          ),
          condition(
            prev,
            "Complete",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            { lastProbeTime: now },
          ),
        ],
      });
      this.#ctx.events.record(job, "Normal", "Completed", "Job completed", "job-controller");
      return;
    }
    this.#ctx.api.writeStatus(type, job, {
      startTime,
      active: 1,
      terminating: 0,
      ready: podState === "ready" ? 1 : 0,
      uncountedTerminatedPods: {},
    });
  }
}
