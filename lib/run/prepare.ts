/**
 * Before the first cluster command: fetch remote manifests and read secret
 * values from the environment, so a missing or too short one stops the run
 * with nothing applied. `down` reads no secret: it only deletes.
 */
import { InputError } from "../errors.ts";
import type { Json, Kube } from "../kube/kube.ts";
import { readText } from "../kube/body.ts";
import type { Plan } from "../plan/plan.ts";
import { absolute } from "../config/sources.ts";
import type { Prepared } from "./executor.ts";
import { parseObjects } from "./manifest.ts";

export interface PrepareOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** directory relative local paths are resolved against */
  cwd: string;
  /** fetches a remote manifest (tests inject one) */
  fetchText?: (url: string) => Promise<string>;
  /** its redactor learns every secret value */
  kube: Kube;
  /** `down`: secrets are not read (deleting a Secret needs no value) */
  down?: boolean;
  /**
   * The manifests are fetched at once but parsed (CPU) only once this
   * settles: the run's first process starts before that work.
   */
  parseAfter?: Promise<unknown>;
}

/**
 * The shortest secret value accepted. Anything shorter is too easy to guess
 * and, redacted everywhere it occurs, would blank out ordinary words.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Reads the secret values a run takes from the environment (none for
 * `down`); each is taught to the redactor. Throws `InputError` (nothing
 * started) when one is missing or too short.
 */
export function readSecrets(
  plan: Plan,
  options: Pick<PrepareOptions, "env" | "kube" | "down">,
): Map<string, string> {
  const secrets = new Map<string, string>();
  if (options.down) return secrets;
  for (const step of plan.tasks.flatMap((t) => t.steps)) {
    if (step.kind !== "secret") continue;
    for (const env of Object.values(step.fromEnv)) {
      const value = options.env[env];
      if (!value) {
        throw new InputError(
          `Cannot create Secret "${step.namespace}/${step.name}": environment variable ${env} is not set`,
          `export ${env}=<the OIDC client secret> (it is read at run time and never printed)`,
        );
      }
      if ([...value].length < MIN_SECRET_LENGTH) {
        throw new InputError(
          `Cannot create Secret "${step.namespace}/${step.name}": environment variable ${env} is shorter than ${MIN_SECRET_LENGTH} characters`,
          `export ${env}=<the OIDC client secret, at least ${MIN_SECRET_LENGTH} characters>`,
        );
      }
      secrets.set(env, value);
      options.kube.redactor.add(value);
    }
  }
  return secrets;
}

/**
 * Reads secret values from the environment (unless `secrets` holds them
 * already), then fetches remote manifests, side by side, and parses them.
 * Throws `InputError` (nothing applied) when one is missing or malformed.
 */
export async function prepare(
  plan: Plan,
  options: PrepareOptions & { secrets?: Map<string, string> },
): Promise<Prepared> {
  const secrets = options.secrets ?? readSecrets(plan, options);
  const remote = new Map<string, string>();
  const remoteObjects = new Map<string, Json[]>();
  const fetchText = options.fetchText ?? defaultFetch;
  // every manifest is fetched side by side; a failure is told in plan order
  const texts = new Map<string, Promise<string>>();
  const sources: { url: string; where: string }[] = [];
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind !== "apply") continue;
      for (const r of step.remote) {
        if (texts.has(r.url)) continue;
        const text = /^https?:\/\//.test(r.url)
          ? fetchText(r.url)
          : Deno.readTextFile(absolute(options.cwd, r.url));
        text.catch(() => {}); // awaited below, in order
        texts.set(r.url, text);
        sources.push({ url: r.url, where: `${task.id}/${step.id}` });
      }
    }
  }
  const fetched = new Map<string, string>();
  for (const { url, where } of sources) {
    try {
      fetched.set(url, await texts.get(url)!);
    } catch (e) {
      throw new InputError(
        `Cannot fetch manifest "${url}" for ${where}: ${(e as Error).message}`,
        "check the network or point the source at a local copy (see cluster.example.yaml)",
      );
    }
  }
  await options.parseAfter?.catch(() => {});
  for (const [url, text] of fetched) {
    remoteObjects.set(url, parseObjects(text, url));
    remote.set(url, text);
  }
  return { remote, remoteObjects, secrets };
}

async function defaultFetch(url: string): Promise<string> {
  const deadline = AbortSignal.timeout(30_000);
  const res = await fetch(url, { signal: deadline });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return await readText(res, deadline);
}
