# cilium / probe-policy: CiliumClusterwideNetworkPolicy allow-ambient-hostprobes
# fingerprint 02f6a581203a1860e0ac
# only if {"type":"default-deny-exists"}
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-probe-policy.yaml
# then: wait until every applied workload is ready (kstatus)
