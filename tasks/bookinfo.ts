import type { Step } from "../lib/plan/plan.ts";
import { joinLocation } from "../lib/config/sources.ts";
import type { PlanContext, Task } from "../lib/plan/task.ts";

/** Istio's bookinfo sample, enrolled in ambient, bound to the installed gateway. */
export const bookinfo: Task = {
  id: "bookinfo",
  description: "Bookinfo sample in an ambient namespace, exposed through the gateway",
  deps: ["istio:install", "gateway", "gateway-api"],
  plan(ctx: PlanContext): Step[] {
    const b = ctx.config.bookinfo;
    const nsRef = { apiVersion: "v1", kind: "Namespace", name: b.namespace };
    const namespace = ctx.manifest("bookinfo-namespace");
    const route = ctx.manifest(
      b.flavour === "istio-api" ? "bookinfo-gateway-istio" : "bookinfo-gateway-api",
    );
    const steps: Step[] = [
      {
        kind: "apply",
        id: "namespace",
        description: `Namespace ${b.namespace}`,
        manifests: [namespace.file],
        remote: [],
        objects: namespace.objects,
        crds: false,
      },
      {
        kind: "label",
        id: "ambient",
        description: `enrol namespace ${b.namespace} in ambient mode`,
        target: nsRef,
        labels: { "istio.io/dataplane-mode": "ambient" },
      },
      {
        kind: "apply",
        id: "app",
        // b.source defaults to the Istio release's tag (not its release-X.Y branch), so the
        // same config applies the same bytes; a new istio.version re-pins it
        description: `bookinfo services and deployments from ${b.source}`,
        manifests: [],
        remote: ["platform/kube/bookinfo.yaml", "platform/kube/bookinfo-versions.yaml"].map((
          rel,
        ) => ({
          url: ctx.remote(joinLocation(b.source, rel), "bookinfo.source"),
        })),
        objects: [],
        crds: false,
        defaultNamespace: b.namespace,
      },
      {
        kind: "apply",
        id: "route",
        description: b.flavour === "istio-api"
          ? `Gateway and VirtualService bound to gateway pods istio=${ctx.vars.GATEWAY_ISTIO_LABEL}`
          : "Gateway (class istio) and HTTPRoute",
        manifests: [route.file],
        remote: [],
        objects: route.objects,
        crds: false,
      },
    ];
    if (b.waypoint) {
      const waypoint = ctx.manifest("bookinfo-waypoint");
      steps.push({
        kind: "apply",
        id: "waypoint",
        description: `waypoint proxy for ${b.namespace}`,
        manifests: [waypoint.file],
        remote: [],
        objects: waypoint.objects,
        crds: false,
      }, {
        kind: "label",
        id: "use-waypoint",
        description: `route ${b.namespace}'s services through the waypoint`,
        target: nsRef,
        labels: { "istio.io/use-waypoint": "waypoint" },
      });
    }
    return steps;
  },
};
