# kiali / cr: Kiali CR kiali/kiali (auth anonymous)
# fingerprint 246596558c7c44d7ae64
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 02-cr.yaml
# then: wait until every applied workload is ready (kstatus)
