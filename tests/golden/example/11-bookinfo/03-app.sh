# bookinfo / app: bookinfo services and deployments from https://raw.githubusercontent.com/istio/istio/release-1.30/samples/bookinfo
# fingerprint 8e041c8a63dc95789842
# fetched at run time from https://raw.githubusercontent.com/istio/istio/release-1.30/samples/bookinfo/platform/kube/bookinfo.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=book-info -f -
# fetched at run time from https://raw.githubusercontent.com/istio/istio/release-1.30/samples/bookinfo/platform/kube/bookinfo-versions.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=book-info -f -
# then: wait until every applied workload is ready (kstatus)
