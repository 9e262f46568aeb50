/**
 * The status a simulated kubelet and scheduler would give a pod in each
 * state: pending, ready, not ready, CrashLoopBackOff, ImagePullBackOff,
 * unschedulable, succeeded, failed. Pure: timestamps and IPs come in.
 *
 * @module
 */

import type { ObjectFault } from "./faults.ts";
import { arr, isRec, type KubeObject, nowIso, type Rec, rec, shortHash, str } from "./object.ts";

/** What a pod is doing. */
export type PodState =
  | "pending"
  | "ready"
  | "not-ready"
  | "crash-loop"
  | "image-pull"
  | "unschedulable"
  | "succeeded"
  | "failed";

/** Inputs of {@link podStatus} that come from outside the pod. */
export interface PodStatusOptions {
  fault?: ObjectFault;
  /** The previous status, to keep IPs, start time and transition times. */
  previous?: Rec;
  /** The node's address. */
  hostIP: string;
  /** Allocates a pod IP (called only when the pod has none yet). */
  podIP: () => string;
  /** Schedulable nodes, for the FailedScheduling message. */
  nodeCount: number;
}

/** The pod status for a state. */
export function podStatus(pod: KubeObject, state: PodState, options: PodStatusOptions): Rec {
  const { fault, hostIP } = options;
  const now = nowIso();
  const prev = options.previous ?? rec(pod.status);
  const spec = rec(pod.spec);
  const containers = arr(spec.containers).filter(isRec);
  const base: Rec = { qosClass: "BestEffort" };
  const podIp = str(prev.podIP) || options.podIP();
  const started = str(prev.startTime, now);
  const cond = (
    type: string,
    status: "True" | "False",
    reason?: string,
    message?: string,
  ): Rec => {
    const old = arr(prev.conditions).filter(isRec).find((c) => c.type === type);
    const out: Rec = {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
    };
    if (reason) out.reason = reason;
    if (message) out.message = message;
    return out;
  };
  const image = (c: Rec): string => str(c.image, "registry.invalid/none");
  const containerStatus = (c: Rec, st: Rec, ready: boolean, extra: Rec = {}): Rec => ({
    name: str(c.name),
    image: image(c),
    imageID: ready || st.running ? `${image(c)}@sha256:${shortHash(image(c), 16)}` : "",
    containerID: st.running || st.terminated
      ? `containerd://${shortHash([pod.metadata.uid, c.name], 24)}`
      : undefined,
    ready,
    started: st.running !== undefined,
    restartCount: 0,
    state: st,
    ...extra,
  });
  switch (state) {
    case "unschedulable": {
      const nodes = options.nodeCount || 1;
      return {
        ...base,
        phase: "Pending",
        conditions: [cond(
          "PodScheduled",
          "False",
          "Unschedulable",
          fault?.message ??
            `0/${nodes} nodes are available: ${nodes} Insufficient cpu. preemption: 0/${nodes} nodes are available: ${nodes} No preemption victims found for incoming pod.`,
        )],
      };
    }
    case "pending":
      return {
        ...base,
        phase: "Pending",
        hostIP: hostIP,
        startTime: started,
        conditions: [
          cond("PodReadyToStartContainers", "False"),
          cond("Initialized", "True"),
          cond(
            "Ready",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond(
            "ContainersReady",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond("PodScheduled", "True"),
        ],
        containerStatuses: containers.map((c) =>
          containerStatus(c, { waiting: { reason: "ContainerCreating" } }, false)
        ),
      };
    case "image-pull":
      return {
        ...base,
        phase: "Pending",
        hostIP: hostIP,
        podIP: podIp,
        podIPs: [{ ip: podIp }],
        startTime: started,
        conditions: [
          cond("PodReadyToStartContainers", "True"),
          cond("Initialized", "True"),
          cond(
            "Ready",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond(
            "ContainersReady",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond("PodScheduled", "True"),
        ],
        containerStatuses: containers.map((c) =>
          containerStatus(c, {
            waiting: {
              reason: "ImagePullBackOff",
              message: `Back-off pulling image "${image(c)}"`,
            },
          }, false)
        ),
      };
    case "crash-loop": {
      const restarts = fault?.restartCount ?? 5;
      return {
        ...base,
        phase: "Running",
        hostIP: hostIP,
        podIP: podIp,
        podIPs: [{ ip: podIp }],
        startTime: started,
        conditions: [
          cond("PodReadyToStartContainers", "True"),
          cond("Initialized", "True"),
          cond(
            "Ready",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond(
            "ContainersReady",
            "False",
            "ContainersNotReady",
            `containers with unready status: [${containers.map((c) => c.name).join(" ")}]`,
          ),
          cond("PodScheduled", "True"),
        ],
        containerStatuses: containers.map((c) =>
          containerStatus(
            c,
            {
              waiting: {
                reason: "CrashLoopBackOff",
                message:
                  `back-off 5m0s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
              },
            },
            false,
            {
              restartCount: restarts,
              lastState: {
                terminated: {
                  exitCode: 1,
                  reason: "Error",
                  message: fault?.message,
                  startedAt: started,
                  finishedAt: now,
                  containerID: `containerd://${shortHash([pod.metadata.uid, c.name], 24)}`,
                },
              },
            },
          )
        ),
      };
    }
    case "ready":
    case "not-ready": {
      const ready = state === "ready";
      const notReady = `containers with unready status: [${
        containers.map((c) => c.name).join(" ")
      }]`;
      return {
        ...base,
        phase: "Running",
        hostIP: hostIP,
        podIP: podIp,
        podIPs: [{ ip: podIp }],
        startTime: started,
        conditions: [
          cond("PodReadyToStartContainers", "True"),
          cond("Initialized", "True"),
          ready ? cond("Ready", "True") : cond("Ready", "False", "ContainersNotReady", notReady),
          ready
            ? cond("ContainersReady", "True")
            : cond("ContainersReady", "False", "ContainersNotReady", notReady),
          cond("PodScheduled", "True"),
        ],
        containerStatuses: containers.map((c) =>
          containerStatus(c, { running: { startedAt: started } }, ready)
        ),
      };
    }
    case "succeeded":
    case "failed": {
      const ok = state === "succeeded";
      return {
        ...base,
        phase: ok ? "Succeeded" : "Failed",
        hostIP: hostIP,
        podIP: podIp,
        podIPs: [{ ip: podIp }],
        startTime: started,
        conditions: [
          cond("PodReadyToStartContainers", "False"),
          cond("Initialized", "True"),
          cond("Ready", "False", "PodCompleted"),
          cond("ContainersReady", "False", "PodCompleted"),
          cond("PodScheduled", "True"),
        ],
        containerStatuses: containers.map((c) =>
          containerStatus(c, {
            terminated: {
              exitCode: ok ? 0 : 1,
              reason: ok ? "Completed" : "Error",
              startedAt: started,
              finishedAt: now,
            },
          }, false)
        ),
      };
    }
  }
}
