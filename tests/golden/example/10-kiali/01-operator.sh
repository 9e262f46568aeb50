# kiali / operator: helm release kiali-operator (kiali/kiali-operator 2.24.0) in kiali
# fingerprint 9f427c6715d5768a91bc
helm upgrade --install kiali-operator kiali-operator --repo https://kiali.org/helm-charts --version 2.24.0 --namespace kiali --create-namespace --values 01-operator.values.yaml --labels meshup.dev/fingerprint=9f427c6715d5768a91bc,meshup.dev/task=kiali --wait --timeout 300s
