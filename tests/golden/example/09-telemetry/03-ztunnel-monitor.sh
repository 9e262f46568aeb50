# telemetry / ztunnel-monitor: PodMonitor ztunnel
# fingerprint 67314c22e21f5e9e22bd
# only if {"type":"crd-exists","crd":"podmonitors.monitoring.coreos.com"}
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 03-ztunnel-monitor.yaml
# then: wait until every applied workload is ready (kstatus)
