# cilium / probe-policy: CiliumClusterwideNetworkPolicy allow-ambient-hostprobes
# fingerprint a5e9ca0da8fc6f34b918
# only if {"type":"default-deny-exists"}
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-probe-policy.yaml
# then: wait until every applied workload is ready (kstatus)
