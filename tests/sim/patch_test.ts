import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { StatusError } from "./object.ts";
import {
  fromFieldsV1,
  jsonPatch,
  leafPaths,
  mergePatch,
  serverSideApply,
  strategicMergePatch,
  toFieldsV1,
} from "./patch/mod.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import type { KubeObject, Rec } from "./object.ts";

const applyOpts = (manager: string, force = false) => ({
  manager,
  force,
  apiVersion: "apps/v1",
  time: "2026-01-01T00:00:00Z",
  scope: { ignoreStatus: true },
});

Deno.test("mergePatch() deletes nulls and merges maps", () => {
  assertEquals(
    mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: null, b: { c: 5 }, e: [2] }),
    { b: { c: 5, d: 3 }, e: [2] },
  );
});

Deno.test("strategicMergePatch() merges containers by name and honours $patch delete", () => {
  const live = {
    spec: { containers: [{ name: "a", image: "x", ports: [1] }, { name: "b", image: "y" }] },
  };
  const out = strategicMergePatch(live, {
    spec: {
      "$setElementOrder/containers": [{ name: "a" }],
      containers: [{ name: "a", image: "x2" }, { name: "b", $patch: "delete" }],
    },
  });
  assertEquals(out, { spec: { containers: [{ name: "a", image: "x2", ports: [1] }] } });
});

Deno.test("jsonPatch() adds, replaces, removes and tests", () => {
  const doc = { metadata: { labels: { "a/b": "1" } }, list: [1, 2] };
  const out = jsonPatch(doc, [
    { op: "add", path: "/metadata/labels/c", value: "2" },
    { op: "replace", path: "/metadata/labels/a~1b", value: "3" },
    { op: "remove", path: "/list/0" },
    { op: "add", path: "/list/-", value: 9 },
    { op: "test", path: "/list", value: [2, 9] },
  ]);
  assertEquals(out, { metadata: { labels: { "a/b": "3", c: "2" } }, list: [2, 9] });
  assertThrows(() => jsonPatch(doc, [{ op: "test", path: "/list", value: [] }]), StatusError);
});

Deno.test("fieldsV1 encoding round-trips leaf paths", () => {
  const paths = leafPaths({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x", labels: { a: "1" } },
    data: { k: "v" },
  });
  assertEquals(paths, [["metadata", "labels", "a"], ["data", "k"]]);
  assertEquals(fromFieldsV1(toFieldsV1(paths)), paths);
});

Deno.test("serverSideApply() records the manager and drops fields it no longer applies", () => {
  const first = serverSideApply(undefined, {
    metadata: { name: "d", labels: { a: "1", b: "2" } },
    spec: { replicas: 2 },
  }, applyOpts("helm"));
  const managed = (first.metadata as Rec).managedFields as Rec[];
  assertEquals(managed.length, 1);
  assertEquals(managed[0].manager, "helm");
  assertEquals(managed[0].operation, "Apply");
  const second = serverSideApply(first, {
    metadata: { name: "d", labels: { a: "1" } },
    spec: { replicas: 2 },
  }, applyOpts("helm"));
  assertEquals((second.metadata as Rec).labels, { a: "1" });
});

Deno.test("serverSideApply() conflicts only when another manager owns a different value", () => {
  const base = serverSideApply(
    undefined,
    { metadata: { name: "d" }, spec: { replicas: 2 } },
    applyOpts("mgr"),
  );
  // same value: shared ownership, no conflict
  const shared = serverSideApply(
    base,
    { metadata: { name: "d" }, spec: { replicas: 2 } },
    applyOpts("other"),
  );
  assertEquals(((shared.metadata as Rec).managedFields as Rec[]).length, 2);
  const error = assertThrows(
    () =>
      serverSideApply(base, { metadata: { name: "d" }, spec: { replicas: 3 } }, applyOpts("other")),
    StatusError,
  );
  assertEquals(error.code, 409);
  assertStringIncludes(
    error.message,
    'Apply failed with 1 conflict: conflict with "mgr" using apps/v1: .spec.replicas',
  );
  const forced = serverSideApply(
    base,
    { metadata: { name: "d" }, spec: { replicas: 3 } },
    applyOpts("other", true),
  );
  assertEquals((forced.spec as Rec).replicas, 3);
  const owners = ((forced.metadata as Rec).managedFields as Rec[]).map((m) => m.manager);
  assertEquals(owners, ["other"]);
});

Deno.test("label selectors support equality, sets and existence", () => {
  const obj = (labels: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { labels },
  });
  const s = parseLabelSelector("app=web,tier in (a, b),!legacy,env!=prod,team");
  assert(s(obj({ app: "web", tier: "a", env: "dev", team: "x" })));
  assert(!s(obj({ app: "web", tier: "c", env: "dev", team: "x" })));
  assert(!s(obj({ app: "web", tier: "a", env: "dev", team: "x", legacy: "1" })));
  assert(!s(obj({ app: "web", tier: "a", env: "prod", team: "x" })));
  assert(parseLabelSelector("owner==helm,x notin (1)")(obj({ owner: "helm" })));
  assertThrows(() => parseLabelSelector("a=(b"), StatusError);
});

Deno.test("field selectors read dotted paths", () => {
  const obj: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "n" },
    status: { phase: "Running" },
  };
  assert(parseFieldSelector("metadata.name=p,metadata.namespace==n")(obj));
  assert(parseFieldSelector("status.phase!=Pending")(obj));
  assert(!parseFieldSelector("metadata.name=q")(obj));
});
