# cilium / probe-policy: CiliumClusterwideNetworkPolicy allow-ambient-hostprobes
# fingerprint b50fd9d062a0b438d31a
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-probe-policy.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
