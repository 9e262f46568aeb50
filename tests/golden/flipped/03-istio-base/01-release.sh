# istio:base / release: helm release istio-base (istio/base 1.29.2)
# fingerprint fd016614f00a29cf64ca
helm upgrade --install istio-base oci://registry.lab.example.org/istio/base --version 1.29.2 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=fd016614f00a29cf64ca,meshup.dev/task=istio_base --wait --timeout 300s --kube-context pi-cluster
