/**
 * Cluster config: the schema and its defaults (`schema.ts`), loading with
 * environment overrides and file:line errors (`load.ts`). Importers use this
 * module.
 */
export {
  CILIUM_CHARTS,
  type Config,
  DEFAULT_ISTIO_VERSION,
  DEFAULT_KIALI_VERSION,
  GATEWAY_API_FOR_ISTIO,
  ISTIO_CHARTS,
  KIALI_CHARTS,
} from "./schema.ts";
export {
  ENV_OVERRIDES,
  loadConfig,
  type LoadedConfig,
  type LoadOptions,
  parseConfig,
} from "./load.ts";
