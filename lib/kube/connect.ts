/**
 * Builds the `Kube` a command talks through: the in-process API client for
 * the chosen context when the kubeconfig allows one, else kubectl for every
 * read, with a one-line notice saying why.
 */
import { InputError } from "../errors.ts";
import type { Redactor } from "../output/redact.ts";
import { KubeClient } from "./client.ts";
import { clientSupport } from "./client_support.ts";
import { Kube } from "./kube.ts";
import { KubeconfigError, loadKubeconfig } from "./kubeconfig.ts";
import type { ProcessRunner } from "./process.ts";

export interface Connection {
  kube: Kube;
  /** the context and API server, when read from the kubeconfig in process */
  context?: string;
  server?: string;
  /** why reads go through kubectl, when they do */
  notice?: string;
  /** releases the client's connections */
  close(): void;
}

export interface ConnectOptions {
  proc: ProcessRunner;
  redactor: Redactor;
  /** `--context` */
  context?: string;
  /** KUBECONFIG and HOME are read from here */
  env: Record<string, string | undefined>;
}

/**
 * A kubeconfig file that exists but cannot be read or parsed (not a missing
 * file, not an unknown context): bad input, named as such, exit 2.
 */
function malformed(e: KubeconfigError): boolean {
  return e.file !== undefined && !/^Cannot (use|choose a) context/.test(e.message);
}

export async function connect(options: ConnectOptions): Promise<Connection> {
  const target = options.context ? { context: options.context } : {};
  const fallback = (notice?: string): Connection => ({
    kube: new Kube({ proc: options.proc, target, redactor: options.redactor }),
    ...(notice ? { notice } : {}),
    close() {},
  });
  let resolved;
  try {
    resolved = await loadKubeconfig({ context: options.context, env: options.env });
  } catch (e) {
    if (e instanceof KubeconfigError && malformed(e)) {
      throw new InputError(
        e.message.startsWith("Cannot") ? e.message : `Cannot load kubeconfig: ${e.message}`,
        e.hint ?? `check it with \`kubectl config view --kubeconfig ${e.file}\``,
      );
    }
    // no kubeconfig, or no such context: kubectl may know better (and names
    // the problem in its own words)
    if (e instanceof KubeconfigError) return fallback();
    throw e;
  }
  const support = clientSupport(resolved);
  if (!support.ok) return fallback(`reading the cluster through kubectl: ${support.reason}`);
  const api = new KubeClient(resolved);
  return {
    kube: new Kube({ proc: options.proc, target, redactor: options.redactor, api }),
    context: resolved.context,
    server: resolved.cluster.server,
    close: () => api.close(),
  };
}
