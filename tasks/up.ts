import type { Task } from "../lib/plan/task.ts";

/** Everything. `down` walks the same graph in reverse. */
export const up: Task = {
  id: "up",
  description: "The whole stack: Cilium check, Istio ambient, gateway, telemetry, Kiali, bookinfo",
  deps: ["cilium", "gateway-api", "istio:install", "gateway", "telemetry", "kiali", "bookinfo"],
  aggregate: true,
  plan: () => [],
};
