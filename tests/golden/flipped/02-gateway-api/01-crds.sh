# gateway-api / crds: Gateway API v1.4.0 standard CRDs
# fingerprint af8da71d83a176c2082b
# fetched at run time from https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.0/standard-install.yaml, annotated with the fingerprint, then:
kubectl apply --server-side --field-manager=meshup --force-conflicts -f - --context=pi-cluster
# then: wait until every CRD is Established
