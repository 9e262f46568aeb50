# kiali / oidc-secret: Secret observability/kiali key oidc-secret from $LAB_KIALI_SECRET
# fingerprint 07925eb8a0bd1e58c675
# the Secret is built in memory from the environment and passed on stdin, never on argv:
kubectl apply --server-side --field-manager=meshup --force-conflicts -f - --context=pi-cluster
