/**
 * The kubeconfig the simulator writes: context, cluster and user all named
 * `sim`.
 *
 * @module
 */

import { utf8Base64 } from "./object.ts";

/** What goes into the kubeconfig. */
export interface KubeconfigOptions {
  server: string;
  caPem?: string;
  token?: string;
  /** A client certificate and its key (PEM), written as `client-*-data`. */
  clientCertPem?: string;
  clientKeyPem?: string;
  namespace?: string;
}

/** The kubeconfig text (YAML). */
export function kubeconfigText(options: KubeconfigOptions): string {
  const cluster = [`    server: ${JSON.stringify(options.server)}`];
  if (options.caPem) cluster.push(`    certificate-authority-data: ${utf8Base64(options.caPem)}`);
  const userLines: string[] = [];
  if (options.token) userLines.push(`    token: ${JSON.stringify(options.token)}`);
  if (options.clientCertPem) {
    userLines.push(`    client-certificate-data: ${utf8Base64(options.clientCertPem)}`);
  }
  if (options.clientKeyPem) {
    userLines.push(`    client-key-data: ${utf8Base64(options.clientKeyPem)}`);
  }
  const user = userLines.length > 0 ? `\n${userLines.join("\n")}` : " {}";
  const namespace = options.namespace
    ? `\n    namespace: ${JSON.stringify(options.namespace)}`
    : "";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: sim",
    "  cluster:",
    ...cluster,
    "contexts:",
    "- name: sim",
    "  context:",
    "    cluster: sim",
    `    user: sim${namespace}`,
    "current-context: sim",
    "preferences: {}",
    "users:",
    "- name: sim",
    `  user:${user}`,
    "",
  ].join("\n");
}
