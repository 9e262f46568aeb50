/**
 * DIR/README.md of a Flux render: what the folder holds, what to commit,
 * how to bootstrap, how to hand a cluster over from `deno task up`, the
 * Secrets the user creates, and what stays a meshup command.
 */
import type { FluxTask } from "./model.ts";

export function fluxReadme(
  tasks: readonly FluxTask[],
  o: {
    target: string;
    repoPath: string;
    namespace: string;
    gitRepository: string;
    kustomizations: string[];
    releases: { name: string; release: string; namespace: string }[];
  },
): string {
  const path = o.repoPath === "." ? "./" : `./${o.repoPath}`;
  const secrets = tasks.flatMap((t) => t.secrets);
  const leftOut = tasks.flatMap((t) => t.leftOut.map((l) => ({ task: t.task.id, ...l })));
  const lines = [
    `# meshup: "${o.target}" as Flux objects`,
    "",
    "Written by `deno task render --format flux`: re-render after changing the config rather than",
    "editing these files; the same config always gives the same bytes, so a Git diff shows only",
    "real changes.",
    "",
    "## What is here",
    "",
    "- `kustomization.yaml`: the entry point; it lists `sources.yaml` and `kustomizations.yaml`.",
    "- `sources.yaml`: a HelmRepository per chart repository, an OCIRepository per `oci://` chart,",
    "  and a GitRepository per manifest fetched from elsewhere (pinned to the branch or tag meshup",
    "  uses).",
    "- `kustomizations.yaml`: the Flux Kustomizations, each depending on what it needs.",
    "- `releases/<task>/`: the HelmReleases, values inline, as `deno task up` passes them.",
    "- `manifests/<task>/`: the plain manifests.",
    "",
    "## Commit and bootstrap",
    "",
    `Commit the whole folder at \`${o.repoPath}\` of the repository that GitRepository`,
    `\`${o.namespace}/${o.gitRepository}\` reads (the one \`flux bootstrap\` creates); the`,
    "Kustomizations' paths assume that place. Rendered somewhere else? Render again into the right",
    "folder of your checkout: the paths follow `--out`.",
    "",
    "Then point Flux at it, either by listing the folder in the `resources:` of the",
    "`kustomization.yaml` of the path you bootstrapped, or with one Kustomization of its own:",
    "",
    "```yaml",
    "apiVersion: kustomize.toolkit.fluxcd.io/v1",
    "kind: Kustomization",
    "metadata:",
    "  name: meshup",
    `  namespace: ${o.namespace}`,
    "spec:",
    "  interval: 10m",
    `  path: ${path}`,
    "  prune: true",
    "  sourceRef:",
    "    kind: GitRepository",
    `    name: ${o.gitRepository}`,
    "```",
    "",
    "Order of reconciliation (each waits for the ones it depends on):",
    "",
    ...o.kustomizations.map((k) => `- \`${k}\``),
    "",
    "## Before and after",
    "",
    "- Before the first reconcile: `deno task doctor` (tools, Kubernetes version, Cilium settings,",
    "  CRDs) and `deno task cilium` (Cilium's ambient settings; `--fix` to change them). Flux",
    "  cannot express these checks.",
    `- After: \`flux reconcile kustomization meshup --with-source\`, wait until`,
    "  `flux get kustomizations` and `flux get helmreleases -A` show every object Ready, then",
    "  `deno task verify` proves the mesh works (mTLS, gateway, bookinfo).",
    "",
    "## Handing a cluster over from `deno task up`",
    "",
    "The HelmReleases keep the release names and namespaces `up` used, so Flux takes over",
    "meshup's releases (it upgrades them in place) instead of installing a second copy:",
    "",
    ...o.releases.map((r) =>
      `- \`${r.name}\`: release \`${r.release}\` in \`${r.namespace}\` (history in \`${r.namespace}\`)`
    ),
    "",
    "1. Render with the same config `up` used, commit, and let Flux reconcile.",
    "2. From then on change the config, render and commit; do not run `deno task up` or a single",
    "   target against this cluster any more: Flux owns the releases and would undo the change.",
    "3. `deno task verify` after each reconcile.",
    "",
  ];
  if (secrets.length) {
    lines.push(
      "## Secrets you create",
      "",
      "No secret value is rendered. Flux waits (a health check) until each of these exists:",
      "",
      ...secrets.flatMap((s) =>
        Object.entries(s.fromEnv).map(([key, env]) =>
          `- Secret \`${s.name}\` in \`${s.namespace}\`, key \`${key}\`: \`kubectl -n ${s.namespace} create secret generic ${s.name} --from-literal=${key}="$${env}"\``
        )
      ),
      "",
      "To keep it in Git instead, encrypt it with SOPS (`sops --encrypt --encrypted-regex",
      "'^(data|stringData)$' --age AGE_PUBLIC_KEY secret.yaml > secret.enc.yaml`), list the",
      "encrypted file in that task's `manifests/<task>/kustomization.yaml` and give its",
      "Kustomization `spec.decryption: {provider: sops, secretRef: {name: sops-age}}`.",
      "",
    );
  }
  if (leftOut.length) {
    lines.push(
      "## Left to meshup",
      "",
      ...leftOut.map((l) => `- \`${l.task}\` / \`${l.step.id}\` (${l.step.description}): ${l.why}`),
      "",
    );
  }
  return lines.join("\n");
}
