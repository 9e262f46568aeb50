# istio:cni / release: helm release istio-cni (istio/cni 1.29.2)
# fingerprint ca3533c4a653ae89bb69
helm upgrade --install istio-cni oci://registry.lab.example.org/istio/cni --version 1.29.2 --namespace istio-system --create-namespace --values 01-release.values-1.yaml --values 01-release.values-2.yaml --labels meshup.dev/fingerprint=ca3533c4a653ae89bb69,meshup.dev/task=istio_cni --wait --timeout 300s --kube-context pi-cluster
