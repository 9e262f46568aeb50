# istio:cni / release: helm release istio-cni (istio/cni 1.30.3)
# fingerprint cd20f228ddb3097be2bc
helm upgrade --install istio-cni cni --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=cd20f228ddb3097be2bc,meshup.dev/task=istio_cni --wait --timeout 300s
