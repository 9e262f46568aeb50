# kiali / operator: helm release kiali-operator (kiali/kiali-operator 2.20.0) in observability
# fingerprint a0875b64bb9c8e5b66f8
helm upgrade --install kiali-operator oci://registry.lab.example.org/kiali/kiali-operator --version 2.20.0 --namespace observability --create-namespace --values 01-operator.values.yaml --labels meshup.dev/fingerprint=a0875b64bb9c8e5b66f8,meshup.dev/task=kiali --wait --timeout 300s --kube-context pi-cluster
