/** The first read of a run or a diff: every release, which also proves the cluster answers. */
import { InputError } from "../errors.ts";
import type { CommandHooks, Kube, ReleaseState } from "../kube/kube.ts";
import { CommandError } from "../kube/retry.ts";

/** Every Helm release's latest state; an unreachable cluster is an `InputError` (exit 2). */
export async function readReleases(
  kube: Kube,
  hooks: CommandHooks,
): Promise<Map<string, ReleaseState>> {
  try {
    return await kube.releases(hooks);
  } catch (e) {
    const detail = e instanceof CommandError
      ? e.stderr.split("\n").filter(Boolean).at(-1) ?? e.message
      : String(e);
    throw new InputError(
      `Cannot reach the cluster: ${detail}`,
      "check the kube context (kubectl config current-context) and that the API server answers (kubectl get ns)",
    );
  }
}
