# cilium / config: ConfigMap kube-system/cilium-config allows ambient
# fingerprint 8eba78f808a89c135a0f
# read ConfigMap kube-system/cilium-config and expect bpf-lb-sock-hostns-only="true", cni-exclusive="false"
