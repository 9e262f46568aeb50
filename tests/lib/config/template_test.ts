import { assertEquals, assertStringIncludes, assertThrows } from "../../_assert.ts";
import { InputError } from "../../../lib/errors.ts";
import { deepMerge, renderTemplate } from "../../../lib/config/template.ts";

const file = "values/x.yaml";

Deno.test("renderTemplate() names file:line and the variable when it is unknown", () => {
  const e = assertThrows(
    () => renderTemplate("a: 1\nb: ${CLUSTER_DOMIAN}\n", { file, vars: { CLUSTER_DOMAIN: "x.y" } }),
    InputError,
  );
  assertEquals(e.message, 'Cannot render "values/x.yaml:2": unknown variable "${CLUSTER_DOMIAN}"');
  assertEquals(e.hint, 'did you mean "${CLUSTER_DOMAIN}"?');
});

Deno.test("renderTemplate() rejects malformed and unterminated variables", () => {
  assertStringIncludes(
    assertThrows(() => renderTemplate("a: ${lower}\n", { file, vars: {} }), InputError).message,
    "malformed variable",
  );
  assertStringIncludes(
    assertThrows(() => renderTemplate("a: ${OPEN\n", { file, vars: {} }), InputError).message,
    "unterminated",
  );
});

Deno.test("renderTemplate() keeps $${VAR} as a literal ${VAR}", () => {
  const r = renderTemplate("a: $${NOT_A_VAR}\nb: ${X}\n", { file, vars: { X: "y" } });
  assertEquals(r.docs, [{ a: "${NOT_A_VAR}", b: "y" }]);
});

Deno.test("renderTemplate() cannot be made to add keys by a value with ': ', newlines or '#'", () => {
  const evil = "x: y\ninjected: true # comment";
  const r = renderTemplate('a: ${V}\nb: pre-${V}\nc: "${V}"\n# ${V}\n', {
    file,
    vars: { V: evil },
  });
  assertEquals(r.docs, [{ a: evil, b: `pre-${evil}`, c: evil }]);
  assertEquals(Object.keys(r.docs[0] as object), ["a", "b", "c"]);
  assertEquals(renderTemplate(r.text, { file, vars: {} }).docs, r.docs);
});

Deno.test("renderTemplate() cannot be made to add documents by a value with '---'", () => {
  const r = renderTemplate("a: ${V}\n", { file, vars: { V: "x\n---\nkind: Secret" } });
  assertEquals(r.docs.length, 1);
  assertEquals(renderTemplate(r.text, { file, vars: {} }).docs.length, 1);
});

Deno.test("renderTemplate() keeps a variable in a key a single key", () => {
  const r = renderTemplate("${K}: v\n", { file, vars: { K: "a: b" } });
  assertEquals(r.docs, [{ "a: b": "v" }]);
});

Deno.test("renderTemplate() gives a lone plain variable its type and a quoted one a string", () => {
  const r = renderTemplate('n: ${N}\nq: "${N}"\nb: ${B}\ns: ${S}\nm: ${M}\n', {
    file,
    vars: { N: 42, B: true, S: "true", M: { k: ["v"] } },
  });
  assertEquals(r.docs, [{ n: 42, q: "42", b: true, s: "true", m: { k: ["v"] } }]);
  assertStringIncludes(r.text, 's: "true"');
});

Deno.test("renderTemplate() refuses a map inside a string", () => {
  const e = assertThrows(
    () => renderTemplate("a: x-${M}\n", { file, vars: { M: { k: "v" } } }),
    InputError,
  );
  assertStringIncludes(e.message, 'values/x.yaml:1": variable "${M}" is a list or map');
});

Deno.test("renderTemplate() names the line of malformed YAML", () => {
  const e = assertThrows(
    () => renderTemplate("a: 1\nb:\n  - c\n d: [\n", { file, vars: {} }),
    InputError,
  );
  assertStringIncludes(e.message, 'Cannot parse "values/x.yaml:');
  assertStringIncludes(e.message, "malformed YAML");
});

Deno.test("renderTemplate() splits documents and drops empty ones", () => {
  const r = renderTemplate("a: 1\n---\n---\nb: ${X}\n", { file, vars: { X: "y" } });
  assertEquals(r.docs, [{ a: 1 }, { b: "y" }]);
  assertEquals(r.text, "a: 1\n---\nb: y\n");
});

Deno.test("deepMerge() merges maps and replaces lists", () => {
  assertEquals(deepMerge({ a: { b: 1, c: [1] } }, { a: { c: [2], d: 3 } }), {
    a: { b: 1, c: [2], d: 3 },
  });
});
