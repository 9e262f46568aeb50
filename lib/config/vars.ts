/**
 * The variables templates may use, derived from the validated config. This
 * is the only door between config and templates.
 */
import type { Config } from "./config.ts";
import type { TemplateVars } from "./template.ts";

export const ISTIO_NAMESPACE = "istio-system";

/** Label `istio:` that the istio/gateway chart puts on its pods (errata 2). */
export function gatewayIstioLabel(release: string): string {
  return release.startsWith("istio-") ? release.slice("istio-".length) : release;
}

export function templateVars(config: Config): TemplateVars {
  const [otlpService, otlpPort] = splitHostPort(config.telemetry.otlpEndpoint);
  return {
    CLUSTER_DOMAIN: config.cluster.domain,
    ISTIO_VERSION: config.istio.version,
    ISTIO_NAMESPACE,
    ISTIO_PLATFORM: config.istio.platform,
    TRACING_PROVIDER: "opentelemetry",
    OTLP_SERVICE: otlpService,
    OTLP_PORT: otlpPort,
    TRACING_SAMPLING_PERCENT: config.telemetry.samplingPercent,
    GATEWAY_NAMESPACE: config.gateway.namespace,
    GATEWAY_RELEASE: config.gateway.release,
    GATEWAY_ISTIO_LABEL: gatewayIstioLabel(config.gateway.release),
    GATEWAY_LOADBALANCER_IP: config.gateway.loadBalancerIP ?? "",
    GATEWAY_ANNOTATIONS: config.gateway.annotations,
    KIALI_NAMESPACE: config.kiali.namespace,
    KIALI_HOST: config.kiali.ingress.host,
    KIALI_INGRESS_ENABLED: config.kiali.ingress.enabled,
    KIALI_INGRESS_CLASS: config.kiali.ingress.className,
    KIALI_CLUSTER_ISSUER: config.kiali.ingress.clusterIssuer,
    KIALI_ISSUER_URI: config.kiali.openid.issuerUri ?? "",
    KIALI_CLIENT_ID: config.kiali.openid.clientId,
    KIALI_PROMETHEUS_URL: config.kiali.prometheusUrl,
    KIALI_GRAFANA_ENABLED: config.kiali.grafana.enabled,
    KIALI_GRAFANA_URL: config.kiali.grafana.internalUrl,
    KIALI_GRAFANA_EXTERNAL_URL: config.kiali.grafana.externalUrl,
    KIALI_TEMPO_ENABLED: config.kiali.tempo.enabled,
    KIALI_TEMPO_URL: config.kiali.tempo.internalUrl,
    BOOKINFO_NAMESPACE: config.bookinfo.namespace,
    BOOKINFO_HOST: config.bookinfo.host,
  };
}

function splitHostPort(hostPort: string): [string, number] {
  const at = hostPort.lastIndexOf(":");
  return [hostPort.slice(0, at), Number(hostPort.slice(at + 1))];
}
