/** meshup's own version and the versions it installs by default. */
import {
  DEFAULT_ISTIO_VERSION,
  DEFAULT_KIALI_VERSION,
  GATEWAY_API_FOR_ISTIO,
} from "../config/schema.ts";

/** meshup's version; raise it with every release. */
export const VERSION = "0.9.0";

/** What `--version` prints: meshup's version, then the default versions of what it installs. */
export function versionText(): string {
  const minor = DEFAULT_ISTIO_VERSION.split(".").slice(0, 2).join(".");
  return [
    `meshup ${VERSION}`,
    `istio ${DEFAULT_ISTIO_VERSION} (default)`,
    `kiali-operator ${DEFAULT_KIALI_VERSION} (default)`,
    `gateway-api ${GATEWAY_API_FOR_ISTIO[minor]} (default for Istio ${minor})`,
  ].join("\n") + "\n";
}
