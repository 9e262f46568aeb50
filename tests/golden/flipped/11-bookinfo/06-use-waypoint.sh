# bookinfo / use-waypoint: route shop's services through the waypoint
# fingerprint ecdd68b7cb4b2487c93b
kubectl label namespace/shop istio.io/use-waypoint=waypoint --overwrite --context=pi-cluster
