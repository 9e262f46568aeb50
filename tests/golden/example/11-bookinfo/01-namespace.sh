# bookinfo / namespace: Namespace book-info
# fingerprint 6ff1054c874d0e24815d
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 01-namespace.yaml
# then: wait until every applied workload is ready (kstatus)
