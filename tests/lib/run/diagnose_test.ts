import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import {
  describeUnready,
  type EventLike,
  relatedPods,
  shortRef,
  summarizeUnready,
  WaitTimeoutError,
} from "../../../lib/run/diagnose.ts";
import type { ObjectState } from "../../../lib/output/events.ts";

const FIXTURES = new URL("../../fixtures/kstatus/", import.meta.url);

function load(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, FIXTURES)));
}

const ISTIOD: ObjectState = {
  ref: { apiVersion: "apps/v1", kind: "Deployment", name: "istiod", namespace: "istio-system" },
  status: "InProgress",
  message: "Available: 1/2",
};

const ZTUNNEL: ObjectState = {
  ref: { apiVersion: "apps/v1", kind: "DaemonSet", name: "ztunnel", namespace: "istio-system" },
  status: "InProgress",
  message: "Available: 2/3",
};

const CRD: ObjectState = {
  ref: {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    name: "telemetries.telemetry.istio.io",
  },
  status: "InProgress",
  message: "Install in progress",
};

const BASE: ObjectState = {
  ref: {
    apiVersion: "v1",
    kind: "ServiceAccount",
    name: "istio-reader",
    namespace: "istio-system",
  },
  status: "Current",
  message: "Resource is current",
};

function event(
  kind: string,
  name: string,
  reason: string,
  message: string,
  time: string,
  extra: Partial<EventLike> = {},
): EventLike {
  return {
    type: reason === "BackOff" || reason === "Failed" ? "Warning" : "Normal",
    reason,
    message,
    involvedObject: { kind, name, namespace: "istio-system" },
    lastTimestamp: time,
    metadata: { namespace: "istio-system" },
    ...extra,
  };
}

const EVENTS: EventLike[] = [
  event(
    "Pod",
    "istiod-7f9c6d8b5-x2k4p",
    "BackOff",
    "Back-off restarting failed container discovery in pod istiod-7f9c6d8b5-x2k4p_istio-system(0c8e)",
    "2025-06-01T12:04:12Z",
    { count: 12 },
  ),
  event(
    "ReplicaSet",
    "istiod-7f9c6d8b5",
    "SuccessfulCreate",
    "Created pod: istiod-7f9c6d8b5-x2k4p",
    "2025-06-01T12:00:00Z",
  ),
  event(
    "Pod",
    "istiod-7f9c6d8b5-x2k4p",
    "Pulled",
    'Container image "docker.io/istio/pilot:1.28.0" already present on machine',
    "2025-06-01T12:04:09Z",
  ),
  event(
    "Deployment",
    "istiod",
    "ScalingReplicaSet",
    "Scaled up replica set istiod-7f9c6d8b5 from 0 to 2",
    "2025-06-01T11:59:59Z",
  ),
  event("Pod", "ztunnel-9bq7d", "Failed", "Error: ImagePullBackOff", "2025-06-01T12:02:00Z"),
  event("Pod", "unrelated-abc", "Killing", "Stopping container", "2025-06-01T12:05:00Z"),
];

const PODS = [
  load("pod_crashloop"),
  load("pod_ready"),
  load("pod_image_pull_backoff"),
  load("pod_tempo_crashloop"),
];

Deno.test("describeUnready() names every unready object with its pods, events and hints", () => {
  const text = describeUnready({ objects: [BASE, ISTIOD, ZTUNNEL], pods: PODS, events: EVENTS });
  assertEquals(text.split("\n"), [
    'Deployment "istiod" in istio-system is InProgress: Available: 1/2',
    "  pod istiod-7f9c6d8b5-x2k4p: CrashLoopBackOff, restarts 5, not ready (container discovery, " +
    "last exit code 1: back-off 2m40s restarting failed container=discovery " +
    "pod=istiod-7f9c6d8b5-x2k4p_istio-system(0c8e))",
    "  pod istiod-7f9c6d8b5-m8w2z: Running, restarts 1, ready",
    "  last events:",
    "    Normal ScalingReplicaSet deploy/istiod: Scaled up replica set istiod-7f9c6d8b5 from 0 to 2",
    "    Normal SuccessfulCreate rs/istiod-7f9c6d8b5: Created pod: istiod-7f9c6d8b5-x2k4p",
    '    Normal Pulled pod/istiod-7f9c6d8b5-x2k4p: Container image "docker.io/istio/pilot:1.28.0" already present on machine',
    "    Warning BackOff pod/istiod-7f9c6d8b5-x2k4p: Back-off restarting failed container discovery " +
    "in pod istiod-7f9c6d8b5-x2k4p_istio-system(0c8e) (x12)",
    "  hint: kubectl -n istio-system describe deploy/istiod",
    "  hint: kubectl -n istio-system logs pod/istiod-7f9c6d8b5-x2k4p -c discovery --previous",
    'DaemonSet "ztunnel" in istio-system is InProgress: Available: 2/3',
    '  pod ztunnel-9bq7d: ImagePullBackOff, restarts 0, not ready (container istio-proxy: Back-off pulling image "docker.io/istio/ztunnel:1.28.0-typo")',
    "  last events:",
    "    Warning Failed pod/ztunnel-9bq7d: Error: ImagePullBackOff",
    "  hint: kubectl -n istio-system describe ds/ztunnel",
    "hint: kubectl -n istio-system get events --sort-by=.lastTimestamp",
  ]);
});

Deno.test("describeUnready() keeps only the newest events, newest last", () => {
  const text = describeUnready({ objects: [ISTIOD], pods: PODS, events: EVENTS }, {
    maxEvents: 2,
  });
  const events = text.split("\n").filter((l) => l.startsWith("    "));
  assertEquals(events.map((l) => l.split(" ")[5]), ["Pulled", "BackOff"]);
});

Deno.test("describeUnready() hints at cluster-wide events for cluster-scoped objects", () => {
  const text = describeUnready({ objects: [CRD], pods: [], events: [] });
  assertEquals(text.split("\n"), [
    'CustomResourceDefinition "telemetries.telemetry.istio.io" is InProgress: Install in progress',
    "  hint: kubectl describe crd/telemetries.telemetry.istio.io",
    "  hint: kubectl get events -A --field-selector involvedObject.name=telemetries.telemetry.istio.io",
  ]);
});

Deno.test("describeUnready() says so when every object is ready", () => {
  strictEqual(
    describeUnready({ objects: [BASE], pods: PODS, events: EVENTS }),
    "Every object is ready.",
  );
});

Deno.test("relatedPods() follows owner references and falls back to name prefixes", () => {
  const names = (pods: Record<string, unknown>[]): string[] =>
    pods.map((p) => (p.metadata as { name: string }).name);
  assertEquals(names(relatedPods(ISTIOD.ref, PODS)), [
    "istiod-7f9c6d8b5-x2k4p",
    "istiod-7f9c6d8b5-m8w2z",
  ]);
  assertEquals(names(relatedPods(ZTUNNEL.ref, PODS)), ["ztunnel-9bq7d"]);
  const other = { ...ISTIOD.ref, name: "istio" };
  assertEquals(names(relatedPods(other, PODS)), []);
  assertEquals(names(relatedPods({ ...ISTIOD.ref, namespace: "default" }, PODS)), []);
});

Deno.test("summarizeUnready() names the worst pod and the last warning event", () => {
  strictEqual(
    summarizeUnready({ objects: [ISTIOD], pods: PODS, events: EVENTS }),
    "pod istiod-7f9c6d8b5-x2k4p CrashLoopBackOff (last event: Back-off restarting failed " +
      "container discovery in pod istiod-7f9c6d8b5-x2k4p_istio-system(0c8e))",
  );
  strictEqual(
    summarizeUnready({ objects: [CRD, ISTIOD], pods: [], events: [] }),
    "crd/telemetries.telemetry.istio.io Install in progress (and 1 more not ready)",
  );
});

Deno.test("WaitTimeoutError carries the objects, a Deno-style message, a hint and the diagnosis", () => {
  const events = [
    event(
      "Pod",
      "istiod-7f9c6d8b5-x2k4p",
      "BackOff",
      "Back-off restarting failed container",
      "2025-06-01T12:04:12Z",
    ),
  ];
  const error = new WaitTimeoutError("istiod", {
    objects: [ISTIOD],
    pods: [load("pod_crashloop")],
    events,
    timeoutMs: 300_000,
  });
  strictEqual(
    error.message,
    'Cannot ready "istiod": not ready after 300s: pod istiod-7f9c6d8b5-x2k4p CrashLoopBackOff ' +
      "(last event: Back-off restarting failed container)",
  );
  strictEqual(
    error.hint,
    "kubectl -n istio-system logs pod/istiod-7f9c6d8b5-x2k4p -c discovery --previous",
  );
  strictEqual(
    error.diagnosis.startsWith('Deployment "istiod" in istio-system is InProgress'),
    true,
  );
  assertEquals(error.objects, [ISTIOD]);
  strictEqual(error.name, "WaitTimeoutError");
  strictEqual(error instanceof Error, true);
});

Deno.test("WaitTimeoutError uses the action and the status message when pods look fine", () => {
  const error = new WaitTimeoutError("gateway", {
    action: "install",
    objects: [{ ...ISTIOD, status: "Failed", message: "Progress deadline exceeded" }],
    timeoutMs: 60_000,
  });
  strictEqual(
    error.message,
    'Cannot install "gateway": not ready after 60s: deploy/istiod Failed: Progress deadline exceeded',
  );
  strictEqual(error.hint, "kubectl -n istio-system describe deploy/istiod");
});

Deno.test("shortRef() uses kubectl's short kinds", () => {
  strictEqual(shortRef(ISTIOD.ref), "deploy/istiod");
  strictEqual(
    shortRef({ apiVersion: "kiali.io/v1alpha1", kind: "Kiali", name: "kiali" }),
    "kiali/kiali",
  );
});

Deno.test("describeUnready() shows the events of the current pod, not of an earlier pod with the same name", () => {
  const store: ObjectState = {
    ref: { apiVersion: "apps/v1", kind: "StatefulSet", name: "store", namespace: "apps" },
    uid: "sts-2",
    status: "InProgress",
    message: "Ready: 0/1",
  };
  const pod = {
    metadata: {
      name: "store-0",
      namespace: "apps",
      uid: "pod-new",
      ownerReferences: [{ kind: "StatefulSet", name: "store" }],
    },
    status: { phase: "Pending" },
  };
  const event = (uid: string, kind: string, name: string, message: string): EventLike => ({
    type: "Warning",
    reason: "Seen",
    message,
    involvedObject: { kind, name, namespace: "apps", uid },
    lastTimestamp: "2025-06-01T12:00:00Z",
  });
  const text = describeUnready({
    objects: [store],
    pods: [pod],
    events: [
      event("pod-old", "Pod", "store-0", "from the pod before"),
      event("pod-new", "Pod", "store-0", "from the pod now"),
      event("sts-1", "StatefulSet", "store", "from the StatefulSet before"),
      event("sts-2", "StatefulSet", "store", "from the StatefulSet now"),
    ],
  });
  strictEqual(text.includes("from the pod now"), true, text);
  strictEqual(text.includes("from the StatefulSet now"), true, text);
  strictEqual(text.includes("before"), false, text);
});
