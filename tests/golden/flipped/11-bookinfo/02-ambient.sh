# bookinfo / ambient: enrol namespace shop in ambient mode
# fingerprint 44cb96ed4c39378c7a04
kubectl label namespace/shop istio.io/dataplane-mode=ambient --overwrite --context=pi-cluster
