# istio:istiod / release: helm release istiod (istio/istiod 1.30.3)
# fingerprint 3575825aa46c37ae4d61
helm upgrade --install istiod istiod --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --create-namespace --values 01-release.values-1.yaml --values 01-release.values-2.yaml --labels meshup.dev/fingerprint=3575825aa46c37ae4d61,meshup.dev/task=istio_istiod --wait --timeout 300s
