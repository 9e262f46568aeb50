# telemetry / tracing: Telemetry mesh-default: 100% sampled
# fingerprint 845ae49318ba48ffacf7
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 01-tracing.yaml
# then: wait until every applied workload is ready (kstatus)
