/**
 * The target graph and the CLI entry. Each task module is imported by name;
 * nothing is discovered by glob. The dispatch itself lives in lib/cli/main.ts.
 */
import { main as cliMain, type MainOptions } from "./lib/cli/main.ts";
import type { Task } from "./lib/plan/task.ts";
import { bookinfo } from "./tasks/bookinfo.ts";
import { cilium } from "./tasks/cilium.ts";
import { gateway } from "./tasks/gateway.ts";
import { gatewayApi } from "./tasks/gateway_api.ts";
import { istioBase, istioCni, istioInstall, istioIstiod, istioZtunnel } from "./tasks/istio.ts";
import { kiali } from "./tasks/kiali.ts";
import { telemetry } from "./tasks/telemetry.ts";
import { up } from "./tasks/up.ts";

/** Every target, in declaration order (ties in the plan's order follow it). */
export const TASKS: readonly Task[] = [
  cilium,
  gatewayApi,
  istioBase,
  istioCni,
  istioIstiod,
  istioZtunnel,
  istioInstall,
  gateway,
  telemetry,
  kiali,
  bookinfo,
  up,
];

export type { Io, MainOptions } from "./lib/cli/main.ts";

/** Runs one command line against TASKS (or `options.tasks`); returns the exit code. */
export function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  return cliMain(args, { ...options, tasks: options.tasks ?? TASKS });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
