# gateway / release: helm release istio-gateway (istio/gateway 1.30.3) in istio-ingress
# fingerprint 296b8a1b6b6cadff35c8
helm upgrade --install istio-gateway gateway --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-ingress --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=296b8a1b6b6cadff35c8,meshup.dev/task=gateway --wait --timeout 300s
