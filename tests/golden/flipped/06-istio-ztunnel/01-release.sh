# istio:ztunnel / release: helm release ztunnel (istio/ztunnel 1.29.2)
# fingerprint 40fbd0de0665c7918751
helm upgrade --install ztunnel oci://registry.lab.example.org/istio/ztunnel --version 1.29.2 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=40fbd0de0665c7918751,meshup.dev/task=istio_ztunnel --wait --timeout 300s --kube-context pi-cluster
