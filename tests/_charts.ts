/**
 * Helpers for the tests of the stand-in charts under tests/fixtures/charts:
 * the real helm in a throwaway home, `helm template` parsed into objects,
 * and lookups of objects, ports and CRD versions.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { assert, assertEquals } from "./_assert.ts";
import { kubeBinaries } from "./sim/binaries.ts";

/** The repository's root. */
export const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** The stand-in charts. */
export const CHARTS = `${REPO}/tests/fixtures/charts`;
/** meshup's values files. */
export const VALUES = `${REPO}/values`;

/** A rendered object. */
// deno-lint-ignore no-explicit-any
export type Obj = Record<string, any>;

/** Runs the real helm with HOME (and helm's XDG folders) in a throwaway dir. */
export async function helm(args: string[]): Promise<string> {
  const { helm } = await kubeBinaries();
  const home = await Deno.makeTempDir({ prefix: "fixtures-helm-" });
  try {
    const out = await new Deno.Command(helm, {
      args,
      env: {
        HOME: home,
        XDG_CACHE_HOME: `${home}/.cache`,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_DATA_HOME: `${home}/.local/share`,
        KUBECONFIG: `${home}/no-kubeconfig`,
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const err = new TextDecoder().decode(out.stderr);
    assert(out.success, `helm ${args.join(" ")} failed (${out.code}):\n${err}`);
    return text;
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** What `helm template` printed, and its objects. */
export interface Rendered {
  text: string;
  objects: Obj[];
}

/** `helm template RELEASE tests/fixtures/charts/CHART -n NAMESPACE ...` */
export async function template(
  chart: string,
  options: { release: string; namespace: string; args?: string[] },
): Promise<Rendered> {
  const text = await helm([
    "template",
    options.release,
    `${CHARTS}/${chart}`,
    "--namespace",
    options.namespace,
    ...(options.args ?? []),
  ]);
  const objects: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    assertEquals(doc.errors.length, 0, `unparsable helm output:\n${text}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as Obj);
  }
  return { text, objects };
}

/** `--values values/NAME.yaml`. */
export function values(name: string): string[] {
  return ["--values", `${VALUES}/${name}.yaml`];
}

/** The one object of `kind` named `name`; fails the test unless there is exactly one. */
export function find(r: Rendered, kind: string, name: string): Obj {
  const found = r.objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  assertEquals(
    found.length,
    1,
    `expected one ${kind} ${name}, got: ${r.objects.map((o) => `${o.kind}/${o.metadata?.name}`)}`,
  );
  return found[0];
}

/** `Kind/name` of every object, sorted. */
export function kinds(r: Rendered): string[] {
  return r.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** Service ports by name: `port` or `port->targetPort`. */
export function ports(list: Obj[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((p) => [p.name, p.targetPort === undefined ? p.port : `${p.port}->${p.targetPort}`]),
  );
}

/** A workload's container ports by name. */
export function containerPorts(workload: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of workload.spec.template.spec.containers) {
    for (const p of c.ports ?? []) out[p.name] = p.containerPort;
  }
  return out;
}

/** The v1 CRD `name`, each of its versions' schemas checked open. */
export function crd(r: Rendered, name: string): Obj {
  const c = find(r, "CustomResourceDefinition", name);
  assertEquals(c.apiVersion, "apiextensions.k8s.io/v1");
  for (const v of c.spec.versions) {
    assertEquals(v.schema.openAPIV3Schema["x-kubernetes-preserve-unknown-fields"], true, name);
  }
  return c;
}

/** A CRD's versions as `name+served+storage`. */
export function versions(c: Obj): string[] {
  return c.spec.versions.map((v: Obj) =>
    `${v.name}${v.served ? "+served" : ""}${v.storage ? "+storage" : ""}`
  );
}

/** Concrete stand-ins for the `${VAR}`s in values/gateway*.yaml. */
export const GATEWAY_SETS = [
  "--set",
  "labels.istio=gateway",
  "--set-json",
  "service.annotations={}",
];

/** Concrete stand-ins for the `${VAR}`s in values/istiod-tracing.yaml. */
export const TRACING_SETS = [
  "--set-json",
  `meshConfig.extensionProviders=${
    JSON.stringify([{
      name: "opentelemetry",
      opentelemetry: {
        service: "tempo-distributor.tempo.svc.cluster.local",
        port: 4317,
        resource_detectors: { environment: {} },
      },
    }])
  }`,
];
