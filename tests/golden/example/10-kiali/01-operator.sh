# kiali / operator: helm release kiali-operator (kiali/kiali-operator 2.32.0) in kiali
# fingerprint 856d132e4584bf26691e
helm upgrade --install kiali-operator kiali-operator --repo https://kiali.org/helm-charts --version 2.32.0 --namespace kiali --create-namespace --values 01-operator.values.yaml --labels meshup.dev/fingerprint=856d132e4584bf26691e,meshup.dev/task=kiali --wait --timeout 300s
