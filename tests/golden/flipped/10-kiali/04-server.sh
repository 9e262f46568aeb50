# kiali / server: Kiali server Deployment observability/kiali ready
# fingerprint 7fdd7a070a7f29376b10
# wait (watch, kstatus) for Deployment observability/kiali
