# bookinfo / waypoint: waypoint proxy for shop
# fingerprint 8d71ad13cf923eaa7efd
kubectl apply --server-side --field-manager=meshup --force-conflicts -f 05-waypoint.yaml --context=pi-cluster
# then: wait until every applied workload is ready (kstatus)
