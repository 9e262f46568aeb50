# bookinfo / namespace: Namespace shop
# fingerprint 813bab1d08a95032186e
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 01-namespace.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
