# istio:base / release: helm release istio-base (istio/base 1.30.3)
# fingerprint e3795ddcd19eea15308c
helm upgrade --install istio-base base --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 --namespace istio-system --create-namespace --values 01-release.values.yaml --labels meshup.dev/fingerprint=e3795ddcd19eea15308c,meshup.dev/task=istio_base --wait --timeout 300s
