# bookinfo / app: bookinfo services and deployments from tests/fixtures/bookinfo
# fingerprint a40e3af00428cb3c6416
# fetched at run time from tests/fixtures/bookinfo/platform/kube/bookinfo.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=shop -f - --context=pi-cluster
# fetched at run time from tests/fixtures/bookinfo/platform/kube/bookinfo-versions.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts --namespace=shop -f - --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
