# bookinfo / app: bookinfo services and deployments from https://raw.githubusercontent.com/istio/istio/1.30.3/samples/bookinfo
# fingerprint 081497b28ff2257463ab
# fetched at run time from https://raw.githubusercontent.com/istio/istio/1.30.3/samples/bookinfo/platform/kube/bookinfo.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=book-info -f -
# fetched at run time from https://raw.githubusercontent.com/istio/istio/1.30.3/samples/bookinfo/platform/kube/bookinfo-versions.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=book-info -f -
# then: wait until every applied workload is ready (kstatus)
