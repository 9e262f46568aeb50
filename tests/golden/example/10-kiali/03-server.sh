# kiali / server: Kiali server Deployment kiali/kiali ready
# fingerprint 2cd95a50dc1b06f80558
# wait (watch, kstatus) for Deployment kiali/kiali
