# telemetry / istiod-monitor: ServiceMonitor istiod
# fingerprint 9c3a560fe30f6b7a71d2
# only if {"type":"crd-exists","crd":"servicemonitors.monitoring.coreos.com"}
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-istiod-monitor.yaml
# then: wait until every applied workload is ready (kstatus)
