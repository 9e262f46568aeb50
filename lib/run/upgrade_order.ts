/**
 * An Istio upgrade in place, decided before the run's first change from the
 * installed releases' chart versions: refused (exit 2, nothing changed)
 * when `upgradePath` has no one-step path, else ordered as Istio documents
 * it, one task after the other, by extra scheduler deps. A fresh install,
 * or nothing to upgrade, adds no edge: istio:cni and istio:istiod stay
 * side by side.
 *
 * The order follows istio.io "Upgrade with Helm" for ambient
 * (https://istio.io/latest/docs/ambient/upgrade/helm/, source
 * istio/istio.io content/en/docs/ambient/upgrade/helm/index.md): base
 * (CRDs), istiod (`--wait`), the CNI node agent, then the data plane:
 * ztunnel, then gateways. The older in-place page
 * (https://istio.io/latest/docs/ambient/upgrade/helm-upgrade/) lists ztunnel
 * before istio-cni; the skew rules set no order between the two (each works
 * with a control plane one minor newer), so we follow the current page, which
 * also keeps a fresh install's own order (ztunnel after istio-cni). Gateway
 * API CRDs go before base when the new line needs newer ones (their task
 * applies nothing when they are current), and bookinfo, re-pinned to the
 * new release's tag, after the gateway.
 */
import { InputError } from "../errors.ts";
import type { ReleaseState } from "../kube/kube.ts";
import type { HelmReleaseStep, Plan } from "../plan/plan.ts";
import {
  type InstalledIstio,
  stepsText,
  type UpgradeChange,
  upgradePath,
} from "../plan/upgrade.ts";
import type { EventBody } from "./executor.ts";
import { chartOf, releaseChange } from "./release_change.ts";

/** The tasks of an upgrade, in Istio's order. */
export const UPGRADE_SEQUENCE: readonly string[] = [
  "gateway-api",
  "istio:base",
  "istio:istiod",
  "istio:cni",
  "istio:ztunnel",
  "gateway",
  "bookinfo",
];

/** Istio's charts: `upgradePath` reads base, the control plane, and the rest as data plane. */
const ISTIO_CHARTS = new Set(["base", "istiod", "cni", "ztunnel", "gateway"]);

export interface ReleaseUpgrade {
  task: string;
  /** `namespace/release` */
  release: string;
  from: string;
  to: string;
}

export interface UpgradeOrder {
  change: UpgradeChange;
  /** the installed control plane's version (else the lowest installed) and the target */
  from?: string;
  to?: string;
  /** the plan's tasks in the order they run, when an upgrade orders them */
  sequence: string[];
  /** extra deps by task id (empty unless an upgrade is under way) */
  extraDeps: Map<string, string[]>;
  /** the plan's Istio releases whose chart version changes */
  upgrades: ReleaseUpgrade[];
}

interface IstioStep {
  task: string;
  step: HelmReleaseStep;
  chart: string;
  version?: string;
}

function istioSteps(plan: Plan): IstioStep[] {
  const out: IstioStep[] = [];
  for (const task of plan.tasks) {
    for (const step of task.steps) {
      if (step.kind !== "helm-release") continue;
      const { name, version } = chartOf(step);
      if (name && ISTIO_CHARTS.has(name)) out.push({ task: task.id, step, chart: name, version });
    }
  }
  return out;
}

/**
 * The installed Istio releases in the namespaces of the plan's Istio
 * releases (so `--only` still sees a data plane it leaves behind).
 */
function installedIstio(
  releases: ReadonlyMap<string, ReleaseState>,
  namespaces: ReadonlySet<string>,
): InstalledIstio {
  const installed: InstalledIstio = {};
  const dataPlane: Record<string, string> = {};
  for (const rel of releases.values()) {
    if (!namespaces.has(rel.namespace) || !rel.chart || !rel.chartVersion) continue;
    if (!ISTIO_CHARTS.has(rel.chart)) continue;
    if (rel.chart === "base") installed.base = rel.chartVersion;
    else if (rel.chart === "istiod") installed.controlPlane = rel.chartVersion;
    else dataPlane[rel.name] = rel.chartVersion;
  }
  if (Object.keys(dataPlane).length > 0) installed.dataPlane = dataPlane;
  return installed;
}

/** Whether `from` reaches `to` over `depsOf` (a new edge to -> from would close a cycle). */
function reaches(from: string, to: string, depsOf: (id: string) => readonly string[]): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...depsOf(id));
  }
  return false;
}

/**
 * The upgrade the plan makes of the installed Istio, with the deps that
 * order it; throws `InputError` (exit 2, before any change) when Istio
 * cannot go there in place.
 */
export function upgradeOrder(
  plan: Plan,
  releases: ReadonlyMap<string, ReleaseState>,
): UpgradeOrder {
  const none: UpgradeOrder = { change: "none", sequence: [], extraDeps: new Map(), upgrades: [] };
  const steps = istioSteps(plan);
  const target = steps.find((s) => s.chart === "istiod")?.version ??
    steps.find((s) => s.version)?.version;
  if (!target) return none;
  const installed = installedIstio(releases, new Set(steps.map((s) => s.step.namespace)));
  const path = upgradePath(installed, target);
  if (!path.ok) {
    const through = stepsText(path.steps);
    throw new InputError(
      `Cannot upgrade Istio to "${target}" in place: ${path.reason}`,
      through
        ? `set istio.version release by release: ${through}, running \`deno task up\` after each ` +
          "(`deno task doctor` shows the installed versions)"
        : "keep istio.version on the installed line, or `deno task down --yes` and install afresh",
    );
  }
  const upgrades: ReleaseUpgrade[] = [];
  for (const s of steps) {
    const key = `${s.step.namespace}/${s.step.release}`;
    const change = releaseChange(releases.get(key)?.chartVersion, s.step);
    if (change.kind === "upgrade") {
      upgrades.push({ task: s.task, release: key, from: change.from!, to: change.to! });
    }
  }
  if (path.change === "install" || path.change === "none" || upgrades.length === 0) {
    return { ...none, change: path.change };
  }
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const extraDeps = new Map<string, string[]>();
  const depsOf = (id: string): string[] => [
    ...(byId.get(id)?.deps ?? []),
    ...(extraDeps.get(id) ?? []),
  ];
  const present = UPGRADE_SEQUENCE.filter((id) => byId.has(id));
  for (let i = 1; i < present.length; i++) {
    const [before, task] = [present[i - 1], present[i]];
    if (depsOf(task).includes(before) || reaches(before, task, depsOf)) continue;
    extraDeps.set(task, [...(extraDeps.get(task) ?? []), before]);
  }
  return {
    change: path.change,
    from: path.from,
    to: target,
    sequence: present,
    extraDeps,
    upgrades,
  };
}

/** The run's first word on an upgrade: what goes from which version to which, in what order. */
export function announceUpgrade(order: UpgradeOrder, emit: (body: EventBody) => void): void {
  if (order.upgrades.length === 0) return;
  emit({
    type: "log",
    level: "info",
    message: `Istio ${order.change} upgrade ${order.from} → ${order.to}, one task after another ` +
      `in Istio's order: ${order.sequence.join(" → ")}`,
  });
}
