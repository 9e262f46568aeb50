/** The Flux render of a config, as the CLI builds it, with a fixed place in Git. */
import { TASKS } from "../../../../Taskfile.ts";
import { loadConfig } from "../../../../lib/config/config.ts";
import { buildPlan } from "../../../../lib/plan/build.ts";
import type { Plan } from "../../../../lib/plan/plan.ts";
import { renderFlux } from "../../../../lib/plan/flux/mod.ts";

export const REPO = new URL("../../../../", import.meta.url).pathname.replace(/\/$/, "");
export const EXAMPLE = "cluster.example.yaml";
export const ALL_ON = "tests/lib/plan/flux/all_on.yaml";
export const REPO_PATH = "clusters/homelab/meshup";

export async function planOf(
  config: string,
  env: Record<string, string> = {},
  target = "up",
): Promise<Plan> {
  const loaded = await loadConfig({ file: config, env, cwd: REPO });
  return buildPlan(TASKS, target, { config: loaded.config, root: REPO, cwd: REPO });
}

export async function fluxOf(
  config: string,
  env: Record<string, string> = {},
): Promise<Map<string, string>> {
  return renderFlux(await planOf(config, env), { repoPath: REPO_PATH });
}
