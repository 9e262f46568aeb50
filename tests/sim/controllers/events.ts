/**
 * Events the simulated controllers record (Scheduled, BackOff,
 * ScalingReplicaSet, ...): the count is bumped when the same reason and
 * message repeat, and a pod's state implies its kubelet events.
 *
 * @module
 */

import type { ObjectFault } from "../faults.ts";
import { arr, clone, isRec, type KubeObject, nowIso, num, type Rec, rec, str } from "../object.ts";
import type { PodState } from "../pod_status.ts";
import type { ControllerContext } from "./_context.ts";
import { stripUndefined } from "./_objects.ts";

/** Records Events for the controllers. */
export class EventRecorder {
  #ctx: ControllerContext;
  #eventSeq = 0;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** Records the events the kubelet would for `pod` in `state`. */
  podEvents(pod: KubeObject, state: PodState, fault: ObjectFault | undefined): void {
    const containers = arr(rec(pod.spec).containers).filter(isRec);
    const first = containers[0] ?? {};
    const fieldPath = `spec.containers{${str(first.name)}}`;
    switch (state) {
      case "crash-loop":
        this.record(
          pod,
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${
            str(first.name)
          } in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
          "kubelet",
          fieldPath,
          fault?.restartCount ?? 5,
        );
        break;
      case "image-pull":
        this.record(
          pod,
          "Warning",
          "Failed",
          `Failed to pull image "${
            str(first.image)
          }": rpc error: code = NotFound desc = failed to pull and unpack image "${
            str(first.image)
          }": not found`,
          "kubelet",
          fieldPath,
        );
        this.record(pod, "Warning", "Failed", "Error: ImagePullBackOff", "kubelet", fieldPath);
        this.record(
          pod,
          "Normal",
          "BackOff",
          `Back-off pulling image "${str(first.image)}"`,
          "kubelet",
          fieldPath,
        );
        break;
      case "unschedulable": {
        const status = rec(pod.status);
        const c = arr(status.conditions).filter(isRec).find((x) => x.type === "PodScheduled");
        this.record(
          pod,
          "Warning",
          "FailedScheduling",
          str(c?.message, "0/1 nodes are available"),
          "default-scheduler",
        );
        break;
      }
      case "not-ready":
        this.record(
          pod,
          "Warning",
          "Unhealthy",
          fault?.message ?? "Readiness probe failed: HTTP probe failed with statuscode: 503",
          "kubelet",
          fieldPath,
        );
        break;
      case "ready":
        this.record(
          pod,
          "Normal",
          "Started",
          `Started container ${str(first.name)}`,
          "kubelet",
          fieldPath,
        );
        break;
    }
  }

  /** Records an Event about `obj` (count bumped when the same reason and message repeat). */
  record(
    obj: KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
    count = 1,
  ): void {
    const eventType = this.#ctx.type("", "events");
    const namespace = obj.metadata.namespace ?? "default";
    const now = nowIso();
    const existing = this.#ctx.api.store.peekList("/events", namespace).find((e) =>
      rec(e.involvedObject).uid === obj.metadata.uid && e.reason === reason && e.message === message
    );
    if (existing) {
      const next = clone(existing);
      next.count = Math.max(num(existing.count, 1) + 1, count);
      next.lastTimestamp = now;
      this.#ctx.api.writeObject(eventType, next);
      return;
    }
    const involved: Rec = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (fieldPath) involved.fieldPath = fieldPath;
    const id = (Date.now() * 1000 + (this.#eventSeq++ % 1000)).toString(16);
    this.#ctx.api.controllerCreate(eventType, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${obj.metadata.name}.${id}`, namespace },
      involvedObject: stripUndefined(involved),
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count,
      reportingComponent: component,
      reportingInstance: "",
      eventTime: null,
    });
  }
}
