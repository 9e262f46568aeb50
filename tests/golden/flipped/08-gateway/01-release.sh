# gateway / release: helm release ingress (istio/gateway 1.29.2) in edge
# fingerprint 96e3de7f73261fc4c305
helm upgrade --install ingress oci://registry.lab.example.org/istio/gateway --version 1.29.2 --namespace edge --create-namespace --values 01-release.values-1.yaml --values 01-release.values-2.yaml --labels meshup.dev/fingerprint=96e3de7f73261fc4c305,meshup.dev/task=gateway --wait --timeout 300s --kube-context pi-cluster
