/**
 * The kstatus rule for each kind that has one (cli-utils `status/core.go`):
 * Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, Pod, PVC, Service,
 * CRD, and the always-ready kinds. Keyed by `group/Kind`.
 */
import {
  type ComputeOptions,
  conditionOf,
  conditionsOf,
  get,
  inProgress,
  int,
  type Json,
  kindOf,
  type Rule,
  type StatusResult,
  str,
} from "./_kstatus_fields.ts";

/** How long a Pod may stay unschedulable before it counts as Failed. */
export const SCHEDULE_WINDOW_MS = 15_000;

/** The rule per `group/Kind` (`Kind` alone for the core group). */
export const KIND_RULES: Record<string, Rule> = {
  "Service": serviceStatus,
  "Pod": podStatus,
  "Secret": alwaysReady,
  "ConfigMap": alwaysReady,
  "PersistentVolumeClaim": pvcStatus,
  "apps/StatefulSet": statefulSetStatus,
  "apps/DaemonSet": daemonSetStatus,
  "extensions/DaemonSet": daemonSetStatus,
  "apps/Deployment": deploymentStatus,
  "extensions/Deployment": deploymentStatus,
  "apps/ReplicaSet": replicaSetStatus,
  "extensions/ReplicaSet": replicaSetStatus,
  "policy/PodDisruptionBudget": pdbStatus,
  "batch/CronJob": alwaysReady,
  "batch/Job": jobStatus,
  "apiextensions.k8s.io/CustomResourceDefinition": crdStatus,
};

function alwaysReady(): StatusResult {
  return { status: "Current", message: "Resource is always ready" };
}

function pdbStatus(): StatusResult {
  return { status: "Current", message: "AllowedDisruptions has been computed." };
}

function deploymentStatus(obj: Json): StatusResult {
  // Without progressDeadlineSeconds the controller never sets Progressing.
  let progressing = typeof get(obj, "spec", "progressDeadlineSeconds") !== "number";
  let available = false;
  for (const c of conditionsOf(obj)) {
    if (c.type === "Progressing") {
      if (c.reason === "ProgressDeadlineExceeded") {
        return { status: "Failed", message: "Progress deadline exceeded" };
      }
      if (c.status === "True" && c.reason === "NewReplicaSetAvailable") progressing = true;
    }
    if (c.type === "Available" && c.status === "True") available = true;
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const updated = int(get(obj, "status", "updatedReplicas"), 0);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const availableReplicas = int(get(obj, "status", "availableReplicas"), 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (updated > availableReplicas) return inProgress(`Available: ${availableReplicas}/${updated}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress("ReplicaSet not Available");
  if (!available) return inProgress("Deployment not Available");
  return { status: "Current", message: `Deployment is available. Replicas: ${replicas}` };
}

function daemonSetStatus(obj: Json): StatusResult {
  if (typeof get(obj, "metadata", "generation") !== "number") {
    return inProgress(`${kindOf(obj)} metadata.generation not found`);
  }
  if (typeof get(obj, "status", "observedGeneration") !== "number") {
    return inProgress(`${kindOf(obj)} status.observedGeneration not found`);
  }
  const desired = int(get(obj, "status", "desiredNumberScheduled"), -1);
  const current = int(get(obj, "status", "currentNumberScheduled"), 0);
  const updated = int(get(obj, "status", "updatedNumberScheduled"), 0);
  const available = int(get(obj, "status", "numberAvailable"), 0);
  const ready = int(get(obj, "status", "numberReady"), 0);
  if (desired === -1) return inProgress("Missing .status.desiredNumberScheduled");
  if (desired > current) return inProgress(`Current: ${current}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > available) return inProgress(`Available: ${available}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  return {
    status: "Current",
    message: `All replicas scheduled as expected. Replicas: ${desired}`,
  };
}

function statefulSetStatus(obj: Json): StatusResult {
  if (str(get(obj, "spec", "updateStrategy", "type")) === "OnDelete") {
    return { status: "Current", message: "StatefulSet is using the ondelete update strategy" };
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const current = int(get(obj, "status", "currentReplicas"), 0);
  const updated = int(get(obj, "status", "updatedReplicas"), 0);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const partition = int(get(obj, "spec", "updateStrategy", "rollingUpdate", "partition"), -1);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`);
    return { status: "Current", message: `Partition rollout complete. updated: ${updated}` };
  }
  if (spec > current) return inProgress(`current: ${current}/${spec}`);
  const currentRevision = str(get(obj, "status", "currentRevision"));
  const updateRevision = str(get(obj, "status", "updateRevision"));
  if (currentRevision !== updateRevision) {
    return inProgress("Waiting for updated revision to match current");
  }
  return {
    status: "Current",
    message: `All replicas scheduled as expected. Replicas: ${replicas}`,
  };
}

function replicaSetStatus(obj: Json): StatusResult {
  for (const c of conditionsOf(obj)) {
    if (c.type === "ReplicaFailure" && c.status === "True") {
      return inProgress("Replica Failure condition. Check Pods");
    }
  }
  const spec = int(get(obj, "spec", "replicas"), 1);
  const replicas = int(get(obj, "status", "replicas"), 0);
  const ready = int(get(obj, "status", "readyReplicas"), 0);
  const available = int(get(obj, "status", "availableReplicas"), 0);
  const labelled = int(get(obj, "status", "fullyLabeledReplicas"), 0);
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress(`Available: ${available}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return { status: "Current", message: `ReplicaSet is available. Replicas: ${replicas}` };
}

function pvcStatus(obj: Json): StatusResult {
  const phase = str(get(obj, "status", "phase")) || "unknown";
  if (phase !== "Bound") return inProgress(`PVC is not Bound. phase: ${phase}`);
  return { status: "Current", message: "PVC is Bound" };
}

function podStatus(obj: Json, options: ComputeOptions): StatusResult {
  const phase = str(get(obj, "status", "phase"));
  switch (phase) {
    case "Succeeded":
      return { status: "Current", message: "Pod has completed successfully" };
    case "Failed":
      return { status: "Current", message: "Pod has completed, but not successfully" };
    case "Running": {
      if (conditionOf(obj, "Ready")?.status === "True") {
        return { status: "Current", message: "Pod is Ready" };
      }
      const looping = crashLoopingContainers(obj);
      if (looping.length > 0) {
        return {
          status: "Failed",
          message: `Containers in CrashLoop state: ${looping.join(",")}`,
        };
      }
      return inProgress("Pod is running but is not Ready");
    }
    case "Pending": {
      const scheduled = conditionOf(obj, "PodScheduled");
      if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
        const created = Date.parse(str(get(obj, "metadata", "creationTimestamp")));
        const now = (options.now ?? Date.now)();
        const detail = scheduled.message ? `: ${scheduled.message}` : "";
        if (Number.isNaN(created) || now - created <= SCHEDULE_WINDOW_MS) {
          return inProgress(`Pod has not been scheduled${detail}`);
        }
        return { status: "Failed", message: `Pod could not be scheduled${detail}` };
      }
      return inProgress("Pod is in the Pending phase");
    }
    case "":
      return inProgress("Pod phase not available");
    default:
      return { status: "Unknown", message: `Unknown pod phase ${phase}` };
  }
}

function jobStatus(obj: Json, options: ComputeOptions): StatusResult {
  const parallelism = int(get(obj, "spec", "parallelism"), 1);
  const completions = int(get(obj, "spec", "completions"), parallelism);
  const succeeded = int(get(obj, "status", "succeeded"), 0);
  const active = int(get(obj, "status", "active"), 0);
  const failed = int(get(obj, "status", "failed"), 0);
  for (const c of conditionsOf(obj)) {
    if (c.status !== "True") continue;
    if (c.type === "Complete") {
      return {
        status: "Current",
        message: `Job Completed. succeeded: ${succeeded}/${completions}`,
      };
    }
    if (c.type === "Failed") {
      return { status: "Failed", message: `Job Failed. failed: ${failed}/${completions}` };
    }
    if (c.type === "Suspended") return { status: "Current", message: "Job is suspended" };
  }
  if (str(get(obj, "status", "startTime")) === "") return inProgress("Job not started");
  const message = `Job in progress. success:${succeeded}, active: ${active}, failed: ${failed}`;
  return options.waitForJobs ? inProgress(message) : { status: "Current", message };
}

function serviceStatus(obj: Json): StatusResult {
  const type = str(get(obj, "spec", "type")) || "ClusterIP";
  if (type === "LoadBalancer" && str(get(obj, "spec", "clusterIP")) === "") {
    return inProgress("ClusterIP not set. Service type: LoadBalancer");
  }
  return { status: "Current", message: "Service is ready" };
}

function crdStatus(obj: Json): StatusResult {
  for (const c of conditionsOf(obj)) {
    if (c.type === "NamesAccepted" && c.status === "False") {
      return { status: "Failed", message: c.message || c.reason || "Names not accepted" };
    }
    if (c.type === "Established") {
      if (c.status === "False" && c.reason !== "Installing") {
        return { status: "Failed", message: c.message || c.reason || "Not established" };
      }
      if (c.status === "True") return { status: "Current", message: "CRD is established" };
    }
  }
  return inProgress("Install in progress");
}

function crashLoopingContainers(obj: Json): string[] {
  const statuses = get(obj, "status", "containerStatuses");
  if (!Array.isArray(statuses)) return [];
  return statuses
    .filter((cs) => str(get(cs, "state", "waiting", "reason")) === "CrashLoopBackOff")
    .map((cs) => str(get(cs, "name")));
}
