# istio:istiod / release: helm release istiod (istio/istiod 1.29.2)
# fingerprint a7410aac14748581d7dc
helm upgrade --install istiod oci://registry.lab.example.org/istio/istiod --version 1.29.2 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=a7410aac14748581d7dc,meshup.dev/task=istio_istiod --wait --timeout 300s --kube-context pi-cluster
