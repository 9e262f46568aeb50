# telemetry / ztunnel-monitor: PodMonitor ztunnel
# fingerprint 8b1e608e85581e0d0ee3
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-ztunnel-monitor.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
