# telemetry / istiod-monitor: ServiceMonitor istiod
# fingerprint 5cda166ca44f26c75d95
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 01-istiod-monitor.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
