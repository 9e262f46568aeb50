# cilium / probe-policy: CiliumClusterwideNetworkPolicy allow-ambient-hostprobes
# fingerprint 345b421fd27a53150d06
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-probe-policy.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
