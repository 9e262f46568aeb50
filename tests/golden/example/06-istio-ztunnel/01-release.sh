# istio:ztunnel / release: helm release ztunnel (istio/ztunnel 1.30.3)
# fingerprint bb417c9ec79bad3e907e
helm upgrade --install ztunnel ztunnel --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=bb417c9ec79bad3e907e,meshup.dev/task=istio_ztunnel --wait --timeout 300s
