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
}

/**
 * The shortest secret value accepted. Anything shorter is too easy to guess
 * and, redacted everywhere it occurs, would blank out ordinary words.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * Fetches remote manifests and reads secret values from the environment.
 * Throws `InputError` (nothing applied) when one is missing or malformed.
 */
export async function prepare(plan: Plan, options: PrepareOptions): Promise<Prepared> {
  const remote = new Map<string, string>();
  const remoteObjects = new Map<string, Json[]>();
  const secrets = new Map<string, string>();
  const fetchText = options.fetchText ?? defaultFetch;
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind === "apply") {
        for (const r of step.remote) {
          if (remote.has(r.url)) continue;
          let text: string;
          try {
            text = /^https?:\/\//.test(r.url)
              ? await fetchText(r.url)
              : await Deno.readTextFile(absolute(options.cwd, r.url));
          } catch (e) {
            throw new InputError(
              `Cannot fetch manifest "${r.url}" for ${task.id}/${step.id}: ${(e as Error).message}`,
              "check the network or point the source at a local copy (see cluster.example.yaml)",
            );
          }
          remoteObjects.set(r.url, parseObjects(text, r.url));
          remote.set(r.url, text);
        }
      }
      if (step.kind === "secret" && !options.down) {
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
    }
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
