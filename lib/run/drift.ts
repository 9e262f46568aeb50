/**
 * Drift: a field meshup sets whose live value someone (or something) has
 * changed since. Found by comparing the live object with what a
 * server-side dry-run apply of meshup's object would make of it: the two
 * differ exactly where applying would change something.
 *
 * Fields the cluster's own controllers rewrite after install are not
 * drift; they are listed in `DRIFT_IGNORE`, one documented entry each, as
 * Flux's `driftDetection.ignore` does.
 */
type Json = Record<string, unknown>;

export interface DriftIgnore {
  /** API group ("" for the core group) and kind the rule applies to */
  group: string;
  kind: string;
  /** dotted paths; `*` matches any array index or key */
  paths: readonly string[];
  /** why the field is not ours to keep, with the upstream source */
  reason: string;
}

/** Fields rewritten by the cluster's controllers: never drift, never fought over. */
export const DRIFT_IGNORE: readonly DriftIgnore[] = [
  {
    group: "admissionregistration.k8s.io",
    kind: "ValidatingWebhookConfiguration",
    paths: ["webhooks.*.clientConfig.caBundle", "webhooks.*.failurePolicy"],
    reason: "istiod patches its validating webhook's CA bundle and failure policy at run time " +
      "(istio pkg/webhooks/validation/controller/controller.go, istio #44285)",
  },
  {
    group: "admissionregistration.k8s.io",
    kind: "MutatingWebhookConfiguration",
    paths: ["webhooks.*.clientConfig.caBundle"],
    reason: "istiod injects its CA bundle into the webhooks it serves",
  },
];

/** Written by the API server, not by any applier. */
const SERVER_FIELDS = new Set([
  "metadata.managedFields",
  "metadata.resourceVersion",
  "metadata.generation",
  "metadata.creationTimestamp",
  "metadata.uid",
  "metadata.selfLink",
  "status",
]);

/**
 * The fields where `wouldBe` (a dry-run apply's answer) differs from
 * `live`: objects are compared key by key, arrays and scalars as a whole.
 * Sorted; ignored and server-written fields left out.
 */
export function driftedFields(live: Json, wouldBe: Json): string[] {
  const [group] = String(wouldBe.apiVersion ?? "").includes("/")
    ? String(wouldBe.apiVersion).split("/")
    : [""];
  const ignore = DRIFT_IGNORE.filter((r) => r.group === group && r.kind === wouldBe.kind)
    .flatMap((r) => r.paths.map((p) => p.split(".")));
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    const dotted = path.join(".");
    if (SERVER_FIELDS.has(dotted)) return;
    if (ignore.some((p) => matches(p, path))) return;
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk(a[key], b[key], [...path, key]);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && ignore.length > 0) {
      // element by element only where an ignore rule may reach inside
      a.forEach((item, i) => walk(item, b[i], [...path, String(i)]));
      return;
    }
    if (!deepEqual(a, b)) out.push(dotted);
  };
  walk(live, wouldBe, []);
  return [...new Set(out.map(collapseIndex))].sort();
}

/** `webhooks.0.clientConfig` reads `webhooks` in a report: arrays are one field. */
function collapseIndex(path: string): string {
  const parts = path.split(".");
  const at = parts.findIndex((p) => /^\d+$/.test(p));
  return at < 0 ? path : parts.slice(0, at).join(".");
}

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === "*" || p === path[i]);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
