# kiali / server: Kiali server Deployment kiali/kiali ready
# fingerprint 5235fb255861d3787e97
# wait (watch, kstatus) for Deployment kiali/kiali
