# bookinfo / route: Gateway and VirtualService bound to gateway pods istio=gateway
# fingerprint df42c16f61201793a2aa
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 04-route.yaml
# then: wait until every applied workload is ready (kstatus)
