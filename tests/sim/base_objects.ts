/**
 * The objects a new simulated cluster starts with: the four system
 * namespaces, its Nodes (Ready, with addresses and node info), the default
 * StorageClass and the `kubernetes` Service.
 *
 * @module
 */

import type { Rec } from "./object.ts";

function nodeObject(index: number, version: string): Rec {
  const name = `sim-node-${index}`;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const cond = (type: string, status: string, reason: string, message: string): Rec => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        ...(index === 1 ? { "node-role.kubernetes.io/control-plane": "" } : {}),
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" },
      conditions: [
        cond(
          "MemoryPressure",
          "False",
          "KubeletHasSufficientMemory",
          "kubelet has sufficient memory available",
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond(
          "PIDPressure",
          "False",
          "KubeletHasSufficientPID",
          "kubelet has sufficient PID available",
        ),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      addresses: [
        { type: "InternalIP", address: `127.0.1.${index}` },
        { type: "Hostname", address: name },
      ],
      nodeInfo: {
        architecture: "amd64",
        operatingSystem: "linux",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        kernelVersion: "6.1.0-sim",
        containerRuntimeVersion: "containerd://2.0.0",
        kubeletVersion: version,
        kubeProxyVersion: "",
        machineID: "",
        systemUUID: "",
        bootID: "",
      },
    },
  };
}

/** The objects a cluster with `nodes` Nodes starts with. */
export function baseObjects(nodes: number, version: string): Rec[] {
  const ns = (name: string): Rec => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return [
    ns("default"),
    ns("kube-system"),
    ns("kube-public"),
    ns("kube-node-lease"),
    ...Array.from({ length: nodes }, (_, i) => nodeObject(i + 1, version)),
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: "standard",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "sim.meshup.dev/local",
      reclaimPolicy: "Delete",
      volumeBindingMode: "Immediate",
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { component: "apiserver", provider: "kubernetes" },
      },
      spec: {
        type: "ClusterIP",
        clusterIP: "10.96.0.1",
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
      },
    },
  ];
}
