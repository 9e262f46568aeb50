/**
 * What the in-process client cannot do for a kubeconfig context, so the
 * caller can fall back to kubectl with a one-line notice.
 *
 * @module
 */

import { certificateVersion } from "./_x509.ts";
import type { ResolvedKubeconfig } from "./kubeconfig.ts";

/** Whether the in-process client can honour a resolved kubeconfig. */
export type ClientSupport = { ok: true } | { ok: false; reason: string };

/**
 * What Deno's fetch cannot do for this context: skip TLS verification,
 * present an X.509 v1 client certificate, set a TLS server name, or run a
 * legacy auth-provider or an exec plugin that must be interactive. The
 * caller falls back to kubectl with the reason.
 */
export function clientSupport(resolved: ResolvedKubeconfig): ClientSupport {
  const { cluster, user } = resolved;
  const where = `context "${resolved.context}"`;
  if (cluster.insecureSkipTlsVerify && cluster.server.startsWith("https:")) {
    return {
      ok: false,
      reason: `${where} sets insecure-skip-tls-verify, which Deno cannot honour per connection`,
    };
  }
  if (cluster.tlsServerName) {
    return { ok: false, reason: `${where} sets tls-server-name, which Deno cannot honour` };
  }
  if (user.authProvider) {
    return {
      ok: false,
      reason: `${where} uses the legacy auth-provider "${user.authProvider}"`,
    };
  }
  if (user.exec?.interactiveMode === "Always") {
    return { ok: false, reason: `${where} has an exec plugin that needs a terminal` };
  }
  if (user.clientCertPem) {
    const version = certificateVersion(user.clientCertPem);
    if (version === undefined) {
      return { ok: false, reason: `${where} has a client certificate that cannot be parsed` };
    }
    if (version === 1) {
      return {
        ok: false,
        reason: `${where} has an X.509 v1 client certificate, which Deno's TLS refuses`,
      };
    }
    if (!user.clientKeyPem) {
      return { ok: false, reason: `${where} has a client certificate but no client key` };
    }
  }
  return { ok: true };
}
