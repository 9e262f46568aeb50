# cilium / config: ConfigMap cilium/cilium-config allows ambient; else upgrade release "cilium-cni" with --reuse-values
# fingerprint 7de26a3492c8b04f5a3a
# read ConfigMap cilium/cilium-config and expect bpf-lb-sock-hostns-only="true", cni-exclusive="false"
# when it differs:
helm upgrade cilium-cni oci://registry.lab.example.org/cilium/cilium --version '<installed version>' --namespace cilium --reuse-values --set socketLB.hostNamespaceOnly=true --set cni.exclusive=false --wait --timeout 300s --kube-context pi-cluster
