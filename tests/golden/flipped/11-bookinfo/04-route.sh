# bookinfo / route: Gateway (class istio) and HTTPRoute
# fingerprint 9e18d2930aa31cb6904e
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 04-route.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
