# kiali / server: Kiali server Deployment observability/kiali ready
# fingerprint 15752108a0b5d0bd58c6
# wait (watch, kstatus) for Deployment observability/kiali
