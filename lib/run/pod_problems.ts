/**
 * Why a pod is not ready, for diagnosis: waiting reasons, scheduling,
 * restarts. Never used by the readiness rules.
 */
import { conditionOf, get, int, isRecord, str } from "./_kstatus_fields.ts";

/** One thing wrong with a pod. */
export interface PodProblem {
  /** `CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `Unschedulable`, `OOMKilled`, ... */
  reason: string;
  /** the kubelet's or scheduler's message, may be empty */
  message: string;
  /** the container concerned, if any */
  container?: string;
  /** exit code of the container's last termination, if known */
  lastExitCode?: number;
}

/** What a pod looks like to someone asking why it is not ready. */
export interface PodReport {
  name: string;
  namespace?: string;
  /** `status.phase`, or `Unknown` */
  phase: string;
  /** condition `Ready=True` */
  ready: boolean;
  /** sum of restart counts over all containers */
  restarts: number;
  /** worst first */
  problems: PodProblem[];
}

/** Waiting reasons that mean a pod will not get better by itself. */
const SEVERE_REASONS = [
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "Unschedulable",
  "OOMKilled",
  "Error",
  "Evicted",
];

/**
 * The problems of one pod: waiting reasons of its (init) containers, a
 * scheduler that cannot place it, a failed phase, plus restart count and
 * ready state. Used by diagnosis, never by the readiness rules.
 */
export function podProblems(pod: Record<string, unknown>): PodReport {
  const problems: PodProblem[] = [];
  const phase = str(get(pod, "status", "phase")) || "Unknown";
  let restarts = 0;
  for (const field of ["initContainerStatuses", "containerStatuses"]) {
    const statuses = get(pod, "status", field);
    if (!Array.isArray(statuses)) continue;
    for (const cs of statuses) {
      restarts += int(get(cs, "restartCount"), 0);
      const container = str(get(cs, "name")) || undefined;
      const lastExit = get(cs, "lastState", "terminated", "exitCode");
      const lastExitCode = typeof lastExit === "number" ? lastExit : undefined;
      const waiting = get(cs, "state", "waiting");
      const terminated = get(cs, "state", "terminated");
      if (isRecord(waiting)) {
        const reason = str(waiting.reason) || "Waiting";
        const problem: PodProblem = { reason, message: str(waiting.message), container };
        if (lastExitCode !== undefined) problem.lastExitCode = lastExitCode;
        problems.push(problem);
      } else if (isRecord(terminated) && int(terminated.exitCode, 0) !== 0) {
        problems.push({
          reason: str(terminated.reason) || "Error",
          message: str(terminated.message),
          container,
          lastExitCode: int(terminated.exitCode, 0),
        });
      }
    }
  }
  const scheduled = conditionOf(pod, "PodScheduled");
  if (scheduled && scheduled.status === "False") {
    problems.push({ reason: scheduled.reason || "Unschedulable", message: scheduled.message });
  }
  if (phase === "Failed") {
    problems.push({
      reason: str(get(pod, "status", "reason")) || "Failed",
      message: str(get(pod, "status", "message")),
    });
  }
  problems.sort((a, b) => severity(a.reason) - severity(b.reason));
  const namespace = str(get(pod, "metadata", "namespace")) || undefined;
  const report: PodReport = {
    name: str(get(pod, "metadata", "name")),
    phase,
    ready: conditionOf(pod, "Ready")?.status === "True",
    restarts,
    problems,
  };
  if (namespace) report.namespace = namespace;
  return report;
}

function severity(reason: string): number {
  const index = SEVERE_REASONS.indexOf(reason);
  return index === -1 ? SEVERE_REASONS.length : index;
}
