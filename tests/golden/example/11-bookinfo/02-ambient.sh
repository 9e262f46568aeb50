# bookinfo / ambient: enrol namespace book-info in ambient mode
# fingerprint 9fb627308fa72e75b2d2
kubectl label namespace/book-info istio.io/dataplane-mode=ambient --overwrite
