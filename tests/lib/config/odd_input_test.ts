import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "../../_assert.ts";
import { loadConfig, parseConfig } from "../../../lib/config/config.ts";
import { resolveChart } from "../../../lib/config/sources.ts";
import { MAX_CONFIG_BYTES } from "../../../lib/config/yaml_input.ts";
import { InputError } from "../../../lib/errors.ts";

const env = { CLUSTER_DOMAIN: "homelab.example.com" };

function parseError(text: string): InputError {
  return assertThrows(() => parseConfig(text, { env }), InputError);
}

Deno.test("a config path that is a folder is bad input, not a stack trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/conf`);
    const e = await assertRejects(() => loadConfig({ file: "conf", env, cwd: dir }), InputError);
    assertEquals(e.message, 'Cannot read config "conf": it is a folder');
    assertStringIncludes(e.hint ?? "", "--config conf/cluster.yaml");
    // ./cluster.yaml as a folder is no better than a file with errors
    await Deno.mkdir(`${dir}/cluster.yaml`);
    await assertRejects(() => loadConfig({ env, cwd: dir }), InputError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config of megabytes is refused before it is read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/big.yaml`, `# ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
    const e = await assertRejects(
      () => loadConfig({ file: "big.yaml", env, cwd: dir }),
      InputError,
    );
    assertStringIncludes(e.message, 'Cannot read config "big.yaml": ');
    assertStringIncludes(e.message, "more than a config can be");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aliases that expand to millions of nodes are refused", () => {
  const levels = ["a", "b", "c", "d", "e", "f", "g"];
  const text =
    levels.map((name, i) =>
      i === 0
        ? `${name}: &${name} [x, x, x, x, x, x, x, x, x, x]`
        : `${name}: &${name} [${Array(10).fill(`*${levels[i - 1]}`).join(", ")}]`
    ).join("\n") + "\n";
  const e = parseError(text);
  assertEquals(e.message, 'Cannot read config "cluster.yaml": its aliases expand too far');
  assertStringIncludes(e.hint ?? "", "at most 100 nodes");
});

Deno.test("a control character names its line, whether quoted or not", () => {
  for (const ch of ["\x00", "\x01", "\x1b", "\x7f"]) {
    const e = parseError(`cluster:\n  domain: "a${ch}.example.com"\n`);
    const code = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    assertEquals(
      e.message,
      `Cannot parse config "cluster.yaml:2": control character U+${code} (column 13) is not allowed in YAML`,
    );
  }
  // tabs inside values, CR LF line ends and a byte order mark are fine
  parseConfig(
    '\ufeffcluster:\r\n  domain: homelab.example.com\r\nkiali:\t# a tab in a comment\r\n  version: "2.24.0"\r\n',
    { env: {} },
  );
});

Deno.test("a number where a version string belongs says to quote it", () => {
  const e = parseError("cluster:\n  domain: a.example.com\nistio:\n  version: 1.30\n");
  assertEquals(
    e.message,
    'Invalid config at cluster.yaml:4: field "istio.version" expected a string, got the number 1.30',
  );
  assertEquals(e.hint, 'quote it: "1.30"');
  const kiali = parseError("kiali:\n  version: 2.24\n");
  assertEquals(kiali.hint, 'quote it: "2.24"');
  const bool = parseError("kiali:\n  openid:\n    clientId: true\n");
  assertEquals(bool.hint, 'quote it: "true"');
});

Deno.test("YAML errors name the line an editor shows", () => {
  // CR LF line ends count once
  const crlf = parseError(
    "cluster:\r\n  domain: a.example.com\r\n\r\nistio:\r\n  version: 1.30\r\n",
  );
  assertStringIncludes(crlf.message, "cluster.yaml:5:");
  // an unclosed bracket is reported on the last line with text, not past the end
  const flow = parseError('cluster:\n  domain: a.example.com\nistio: {version: "1.2.3"\n\n\n');
  assertEquals(/^Cannot parse config "cluster.yaml:3": /.test(flow.message), true, flow.message);
  assertEquals(flow.message.includes("at line"), false, flow.message);
  const tab = parseError("cluster:\n\tdomain: a.example.com\n");
  assertEquals(
    tab.message,
    'Cannot parse config "cluster.yaml:2": Tabs are not allowed as indentation',
  );
  const two = parseError("cluster:\n  domain: a.example.com\n---\nistio: {}\n");
  assertEquals(
    two.message,
    'Cannot parse config "cluster.yaml:3": a config is one YAML document, and a second one starts here',
  );
});

Deno.test("a document that is not a mapping is refused whatever its tag", () => {
  for (const text of ["!!binary aGVsbG8=\n", "- a\n- b\n", "just text\n"]) {
    assertEquals(
      parseError(text).message,
      'Cannot read config "cluster.yaml:1": expected a mapping at the top level',
    );
  }
});

Deno.test("a deeply nested document is an input error", () => {
  const e = parseError(`a: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`);
  assertStringIncludes(e.message, 'Cannot parse config "cluster.yaml:1": ');
});

Deno.test("cilium.charts takes a local folder holding cilium-VERSION.tgz, like the other sources", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/charts`);
    await Deno.writeTextFile(`${dir}/charts/cilium-1.16.5.tgz`, "not really a chart");
    await Deno.writeTextFile(`${dir}/charts/cilium-operator-1.0.0.tgz`, "another chart");
    const options = { cwd: dir, field: "cilium.charts" };
    const chart = resolveChart("./charts", { name: "cilium", version: "" }, options);
    assertEquals(chart.type, "tgz");
    assertEquals(chart.type === "tgz" && chart.path, "./charts/cilium-1.16.5.tgz");
    await Deno.writeTextFile(`${dir}/charts/cilium-1.17.0.tgz`, "a newer chart");
    const e = assertThrows(
      () => resolveChart("./charts", { name: "cilium", version: "" }, options),
      InputError,
    );
    assertStringIncludes(e.message, 'holds 2 "cilium" charts');
    assertEquals(e.hint, "name one: cilium.charts: ./charts/cilium-1.17.0.tgz");
    const missing = assertThrows(
      () => resolveChart("./nothing", { name: "cilium", version: "" }, options),
      InputError,
    );
    assertStringIncludes(missing.hint ?? "", "./nothing/cilium-VERSION.tgz");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
