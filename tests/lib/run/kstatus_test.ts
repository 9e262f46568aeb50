import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import {
  computeStatus,
  computeStatusWithPods,
  loadBalancerAddress,
  podProblems,
  selectorMatches,
} from "../../../lib/run/kstatus.ts";

const FIXTURES = new URL("../../fixtures/kstatus/", import.meta.url);

function load(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, FIXTURES)));
}

/** 60 s after the fixtures' creation time: past the 15 s scheduling window. */
const LATER = { now: () => Date.parse("2025-06-01T12:01:00Z") };

Deno.test("computeStatus() marks a progressing Deployment as InProgress with the available count", () => {
  assertEquals(computeStatus(load("deployment_progressing")), {
    status: "InProgress",
    message: "Available: 1/2",
  });
});

Deno.test("computeStatus() reports a Deployment without status as Replicas: 0/2", () => {
  assertEquals(computeStatus(load("deployment_no_status")), {
    status: "InProgress",
    message: "Replicas: 0/2",
  });
});

Deno.test("computeStatus() marks a ready Deployment as Current", () => {
  assertEquals(computeStatus(load("deployment_ready")), {
    status: "Current",
    message: "Deployment is available. Replicas: 2",
  });
});

Deno.test("computeStatus() marks a Deployment with ProgressDeadlineExceeded as Failed", () => {
  assertEquals(computeStatus(load("deployment_deadline_exceeded")), {
    status: "Failed",
    message: "Progress deadline exceeded",
  });
});

Deno.test("computeStatus() marks an object whose generation is not observed as InProgress", () => {
  assertEquals(computeStatus(load("deployment_stale_generation")), {
    status: "InProgress",
    message: "Deployment generation is 4, but latest observed generation is 3",
  });
});

Deno.test("computeStatus() waits for a Deployment's Progressing condition when a deadline is set", () => {
  const obj = load("deployment_ready");
  const status = obj.status as { conditions: { type: string; reason: string }[] };
  status.conditions = status.conditions.filter((c) => c.type !== "Progressing");
  assertEquals(computeStatus(obj), { status: "InProgress", message: "ReplicaSet not Available" });
  delete (obj.spec as Record<string, unknown>).progressDeadlineSeconds;
  strictEqual(computeStatus(obj).status, "Current");
});

Deno.test("computeStatus() reports a Deployment with old replicas as pending termination", () => {
  const obj = load("deployment_ready");
  (obj.status as Record<string, unknown>).replicas = 3;
  assertEquals(computeStatus(obj), { status: "InProgress", message: "Pending termination: 1" });
});

Deno.test("computeStatus() marks a DaemonSet short of nodes as InProgress", () => {
  assertEquals(computeStatus(load("daemonset_short_of_nodes")), {
    status: "InProgress",
    message: "Available: 2/3",
  });
});

Deno.test("computeStatus() marks a DaemonSet without desiredNumberScheduled as InProgress", () => {
  assertEquals(computeStatus(load("daemonset_missing_desired")), {
    status: "InProgress",
    message: "Missing .status.desiredNumberScheduled",
  });
});

Deno.test("computeStatus() requires a DaemonSet's observedGeneration", () => {
  assertEquals(computeStatus(load("daemonset_no_observed_generation")), {
    status: "InProgress",
    message: "DaemonSet status.observedGeneration not found",
  });
});

Deno.test("computeStatus() marks a ready DaemonSet as Current", () => {
  assertEquals(computeStatus(load("daemonset_ready")), {
    status: "Current",
    message: "All replicas scheduled as expected. Replicas: 3",
  });
});

Deno.test("computeStatus() counts a StatefulSet's partition when it is set", () => {
  const obj = load("statefulset_partition");
  assertEquals(computeStatus(obj), {
    status: "Current",
    message: "Partition rollout complete. updated: 1",
  });
  const spec = obj.spec as { updateStrategy: { rollingUpdate: { partition: number } } };
  spec.updateStrategy.rollingUpdate.partition = 0;
  assertEquals(computeStatus(obj), { status: "InProgress", message: "updated: 1/3" });
});

Deno.test("computeStatus() compares a StatefulSet's revisions when no partition is set", () => {
  const obj = load("statefulset_partition");
  delete (obj.spec as { updateStrategy: Record<string, unknown> }).updateStrategy.rollingUpdate;
  assertEquals(computeStatus(obj), { status: "InProgress", message: "current: 2/3" });
  const status = obj.status as Record<string, unknown>;
  status.currentReplicas = 3;
  assertEquals(computeStatus(obj), {
    status: "InProgress",
    message: "Waiting for updated revision to match current",
  });
  status.currentRevision = status.updateRevision;
  strictEqual(computeStatus(obj).status, "Current");
});

Deno.test("computeStatus() treats an OnDelete StatefulSet as Current", () => {
  const obj = load("statefulset_crashloop");
  (obj.spec as { updateStrategy: unknown }).updateStrategy = { type: "OnDelete" };
  strictEqual(computeStatus(obj).status, "Current");
});

Deno.test("computeStatusWithPods() marks a StatefulSet with a CrashLoopBackOff pod as Failed", () => {
  const sts = load("statefulset_crashloop");
  assertEquals(computeStatus(sts), { status: "InProgress", message: "Ready: 0/1" });
  assertEquals(computeStatusWithPods(sts, [load("pod_tempo_crashloop"), load("pod_crashloop")]), {
    status: "Failed",
    message: "1 pods have failed (tempo-0: Containers in CrashLoop state: tempo)",
  });
});

Deno.test("computeStatusWithPods() ignores unschedulable pods and pods of other selectors", () => {
  const sts = load("statefulset_crashloop");
  const unschedulable = load("pod_unschedulable");
  const meta = unschedulable.metadata as Record<string, unknown>;
  meta.namespace = "monitoring";
  meta.labels = { "app.kubernetes.io/name": "tempo" };
  assertEquals(computeStatusWithPods(sts, [unschedulable, load("pod_crashloop")], LATER), {
    status: "InProgress",
    message: "Ready: 0/1",
  });
});

Deno.test("computeStatusWithPods() marks a ReplicaSet with a crash-looping pod as Failed", () => {
  const rs = load("replicaset_partial");
  assertEquals(computeStatus(rs), { status: "InProgress", message: "Available: 1/2" });
  const result = computeStatusWithPods(rs, [load("pod_crashloop"), load("pod_ready")]);
  strictEqual(result.status, "Failed");
  strictEqual(
    result.message,
    "1 pods have failed (istiod-7f9c6d8b5-x2k4p: Containers in CrashLoop state: discovery)",
  );
});

Deno.test("computeStatusWithPods() leaves a Deployment InProgress whatever its pods do", () => {
  const result = computeStatusWithPods(load("deployment_progressing"), [load("pod_crashloop")]);
  strictEqual(result.status, "InProgress");
});

Deno.test("computeStatus() marks a Pod in CrashLoopBackOff as Failed", () => {
  assertEquals(computeStatus(load("pod_crashloop")), {
    status: "Failed",
    message: "Containers in CrashLoop state: discovery",
  });
});

Deno.test("computeStatus() keeps a Pod in ImagePullBackOff InProgress", () => {
  assertEquals(computeStatus(load("pod_image_pull_backoff")), {
    status: "InProgress",
    message: "Pod is in the Pending phase",
  });
});

Deno.test("computeStatus() fails an unschedulable Pod only after 15 s", () => {
  const pod = load("pod_unschedulable");
  const soon = computeStatus(pod, { now: () => Date.parse("2025-06-01T12:00:10Z") });
  strictEqual(soon.status, "InProgress");
  strictEqual(soon.message.startsWith("Pod has not been scheduled: 0/3 nodes are available"), true);
  const later = computeStatus(pod, LATER);
  strictEqual(later.status, "Failed");
  strictEqual(
    later.message.startsWith("Pod could not be scheduled: 0/3 nodes are available"),
    true,
  );
});

Deno.test("computeStatus() marks a ready Pod and a failed Pod as Current", () => {
  assertEquals(computeStatus(load("pod_ready")), { status: "Current", message: "Pod is Ready" });
  const failed = load("pod_crashloop");
  (failed.status as Record<string, unknown>).phase = "Failed";
  assertEquals(computeStatus(failed), {
    status: "Current",
    message: "Pod has completed, but not successfully",
  });
});

Deno.test("computeStatus() marks a Pod without phase as InProgress", () => {
  const pod = load("pod_ready");
  delete (pod.status as Record<string, unknown>).phase;
  assertEquals(computeStatus(pod), { status: "InProgress", message: "Pod phase not available" });
});

Deno.test("computeStatus() marks a complete Job as Current and a failed Job as Failed", () => {
  assertEquals(computeStatus(load("job_complete")), {
    status: "Current",
    message: "Job Completed. succeeded: 1/1",
  });
  assertEquals(computeStatus(load("job_failed")), {
    status: "Failed",
    message: "Job Failed. failed: 3/1",
  });
});

Deno.test("computeStatus() counts a started Job as Current unless waiting for jobs", () => {
  const job = load("job_running");
  strictEqual(computeStatus(job).status, "Current");
  strictEqual(computeStatus(job, { waitForJobs: true }).status, "InProgress");
  delete (job.status as Record<string, unknown>).startTime;
  assertEquals(computeStatus(job), { status: "InProgress", message: "Job not started" });
});

Deno.test("computeStatus() marks an established CRD as Current", () => {
  assertEquals(computeStatus(load("crd_established")), {
    status: "Current",
    message: "CRD is established",
  });
});

Deno.test("computeStatus() keeps an installing CRD InProgress", () => {
  assertEquals(computeStatus(load("crd_installing")), {
    status: "InProgress",
    message: "Install in progress",
  });
  const bare = load("crd_installing");
  delete bare.status;
  strictEqual(computeStatus(bare).status, "InProgress");
});

Deno.test("computeStatus() marks a CRD whose names conflict as Failed", () => {
  assertEquals(computeStatus(load("crd_names_conflict")), {
    status: "Failed",
    message: '"gtw" is already in use',
  });
});

Deno.test("computeStatus() marks a LoadBalancer Service with a cluster IP as Current", () => {
  assertEquals(computeStatus(load("service_lb_pending")), {
    status: "Current",
    message: "Service is ready",
  });
  assertEquals(computeStatus(load("service_lb_no_cluster_ip")), {
    status: "InProgress",
    message: "ClusterIP not set. Service type: LoadBalancer",
  });
});

Deno.test("loadBalancerAddress() returns the ingress ip or hostname, else undefined", () => {
  strictEqual(loadBalancerAddress(load("service_lb_ready")), "192.168.1.240");
  strictEqual(loadBalancerAddress(load("service_lb_pending")), undefined);
  strictEqual(loadBalancerAddress(load("service_lb_no_cluster_ip")), undefined);
  const aws = load("service_lb_pending");
  aws.status = { loadBalancer: { ingress: [{ hostname: "a1b2.elb.example.com" }] } };
  strictEqual(loadBalancerAddress(aws), "a1b2.elb.example.com");
});

Deno.test("computeStatus() uses a custom resource's Ready condition", () => {
  assertEquals(computeStatus(load("kiali_not_ready")), {
    status: "InProgress",
    message: "Ready: False (Failed: secret istio-system/kiali not found)",
  });
  assertEquals(computeStatus(load("kiali_ready")), {
    status: "Current",
    message: "Resource is Ready",
  });
});

Deno.test("computeStatus() marks a custom resource without status as Current", () => {
  assertEquals(computeStatus(load("telemetry_no_status")), {
    status: "Current",
    message: "Resource is current",
  });
});

Deno.test("computeStatus() honours Reconciling and Stalled conditions before the kind's rule", () => {
  assertEquals(computeStatus(load("cr_reconciling")), {
    status: "InProgress",
    message: "Running 'install' action with timeout of 5m0s",
  });
  assertEquals(computeStatus(load("cr_stalled")), {
    status: "Failed",
    message: "spec.size must be positive",
  });
});

Deno.test("computeStatus() marks an object with a deletionTimestamp as Terminating", () => {
  assertEquals(computeStatus(load("namespace_terminating")), {
    status: "Terminating",
    message: "Resource scheduled for deletion",
  });
});

Deno.test("computeStatus() requires a PVC to be Bound", () => {
  assertEquals(computeStatus(load("pvc_pending")), {
    status: "InProgress",
    message: "PVC is not Bound. phase: Pending",
  });
  strictEqual(computeStatus(load("pvc_bound")).status, "Current");
});

Deno.test("computeStatus() treats ConfigMaps and Secrets as always Current", () => {
  assertEquals(computeStatus(load("configmap")), {
    status: "Current",
    message: "Resource is always ready",
  });
  strictEqual(
    computeStatus({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }).status,
    "Current",
  );
});

Deno.test("computeStatus() applies built-in rules only to their API group", () => {
  const lookalike = load("deployment_progressing");
  lookalike.apiVersion = "example.com/v1";
  strictEqual(computeStatus(lookalike).status, "Current");
});

Deno.test("podProblems() reports CrashLoopBackOff with restarts and the last exit code", () => {
  assertEquals(podProblems(load("pod_crashloop")), {
    name: "istiod-7f9c6d8b5-x2k4p",
    namespace: "istio-system",
    phase: "Running",
    ready: false,
    restarts: 5,
    problems: [{
      reason: "CrashLoopBackOff",
      message:
        "back-off 2m40s restarting failed container=discovery pod=istiod-7f9c6d8b5-x2k4p_istio-system(0c8e)",
      container: "discovery",
      lastExitCode: 1,
    }],
  });
});

Deno.test("podProblems() reports ImagePullBackOff and CreateContainerConfigError", () => {
  assertEquals(podProblems(load("pod_image_pull_backoff")).problems, [{
    reason: "ImagePullBackOff",
    message: 'Back-off pulling image "docker.io/istio/ztunnel:1.28.0-typo"',
    container: "istio-proxy",
  }]);
  assertEquals(podProblems(load("pod_create_config_error")).problems, [{
    reason: "CreateContainerConfigError",
    message: 'secret "kiali" not found',
    container: "kiali",
  }]);
});

Deno.test("podProblems() reports an unschedulable pod with the scheduler's message", () => {
  const report = podProblems(load("pod_unschedulable"));
  strictEqual(report.phase, "Pending");
  strictEqual(report.restarts, 0);
  strictEqual(report.problems[0].reason, "Unschedulable");
  strictEqual(
    report.problems[0].message.startsWith("0/3 nodes are available: 3 Insufficient cpu."),
    true,
  );
});

Deno.test("podProblems() finds nothing wrong with a ready pod", () => {
  const report = podProblems(load("pod_ready"));
  assertEquals([report.ready, report.restarts, report.problems], [true, 1, []]);
});

Deno.test("selectorMatches() supports matchLabels and matchExpressions", () => {
  const labels = { app: "istiod", istio: "pilot" };
  strictEqual(selectorMatches({ matchLabels: { app: "istiod" } }, labels), true);
  strictEqual(selectorMatches({ matchLabels: { app: "ztunnel" } }, labels), false);
  const expressions = [
    { key: "istio", operator: "In", values: ["pilot", "ingress"] },
    { key: "tier", operator: "DoesNotExist" },
  ];
  strictEqual(selectorMatches({ matchExpressions: expressions }, labels), true);
  strictEqual(
    selectorMatches(
      { matchExpressions: [{ key: "app", operator: "NotIn", values: ["istiod"] }] },
      labels,
    ),
    false,
  );
  strictEqual(selectorMatches({}, labels), false);
});
