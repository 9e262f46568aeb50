# kiali / cr: Kiali CR observability/kiali (auth openid)
# fingerprint 195f1460886642ca16ea
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 03-cr.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
