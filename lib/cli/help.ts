/**
 * The parts of `--help` that the CLI library does not write: the environment
 * variables a command reads and its exit codes.
 */
import { ENV_OVERRIDES } from "../config/load.ts";

/** What a command does, as far as help is concerned. */
export type CommandKind =
  | "plan"
  | "render"
  | "graph"
  | "down"
  | "doctor"
  | "verify"
  | "diff"
  | "run";

const CLUSTER_ENV: ReadonlyArray<readonly [string, string]> = [
  ["KUBECONFIG", "kubeconfig files, ':'-separated (default ~/.kube/config)"],
  ["MESHUP_KUBECTL", "the kubectl binary (default: kubectl on PATH)"],
  ["MESHUP_HELM", "the helm binary (default: helm on PATH)"],
];

const SECRET_ENV: readonly [string, string] = [
  "KIALI_OIDC_CLIENT_SECRET",
  "Kiali's OIDC client secret with kiali.auth openid (the variable kiali.openid.clientSecretEnv names)",
];

const EXIT: Readonly<Record<string, string>> = {
  "0": "success",
  "1": "a step failed",
  "1check": "a check failed",
  "2": "bad input or refused: nothing was applied",
  "3": "diff --exit-code: something would change",
  "130": "interrupted",
};

/** The "Environment:" section of a command's help: every variable it reads. */
export function environmentHelp(kind: CommandKind): string {
  if (kind === "graph") return "";
  const rows: (readonly [string, string])[] = ENV_OVERRIDES.map(([name, path]) => [
    name,
    `overrides ${path}`,
  ]);
  if (kind !== "plan" && kind !== "render") rows.push(...CLUSTER_ENV);
  if (kind === "run" || kind === "diff") rows.push(SECRET_ENV);
  if (kind === "doctor" || kind === "verify") rows.push(["NO_COLOR", "plain text on a terminal"]);
  return section("Environment:", rows);
}

/** The "Exit codes:" section of a command's help. */
export function exitCodesHelp(kind: CommandKind | "all"): string {
  const codes = kind === "run" || kind === "down"
    ? ["0", "1", "2", "130"]
    : kind === "doctor" || kind === "verify"
    ? ["0", "1check", "2"]
    : kind === "diff"
    ? ["0", "2", "3"]
    : kind === "all"
    ? ["0", "1", "2", "3", "130"]
    : ["0", "2"];
  return section(
    "Exit codes:",
    codes.map((c) => [c.replace(/\D+$/, ""), EXIT[c]] as const),
  );
}

function section(title: string, rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return `\n${title}\n${
    rows.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`).join("\n")
  }\n`;
}
