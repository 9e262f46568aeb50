import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { redactArgv, REDACTED, Redactor } from "../../../lib/output/redact.ts";

const SECRET = 'kiali-oidc/s3cr3t+"value"\\end';

function b64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Every way the secret could leak, for checking output never holds any of them. */
function leaks(text: string, secret: string): string[] {
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    b64(secret),
    b64(secret).replace(/=+$/, ""),
    b64(secret).replaceAll("+", "-").replaceAll("/", "_"),
  ];
  return forms.filter((form) => text.includes(form));
}

Deno.test("Redactor.redact() replaces a registered secret in plain text", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  strictEqual(redactor.redact(`token is ${SECRET}.`), `token is ${REDACTED}.`);
});

Deno.test("Redactor.redact() replaces the JSON-escaped form of a secret", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  const json = JSON.stringify({ env: [{ name: "OIDC", value: SECRET }] });
  const redacted = redactor.redact(json);
  assertEquals(leaks(redacted, SECRET), []);
  assertEquals(JSON.parse(redacted), { env: [{ name: "OIDC", value: REDACTED }] });
  const nested = JSON.stringify({ log: json });
  assertEquals(leaks(redactor.redact(nested), SECRET), []);
});

Deno.test("Redactor.redact() replaces the base64 form of a secret, alone or embedded", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  const secretData = `data:\n  oidc-secret: ${b64(SECRET)}\n`;
  assertEquals(leaks(redactor.redact(secretData), SECRET), []);
  for (const prefix of ["", "a", "ab", "abc"]) {
    const embedded = b64(`${prefix}client_secret=${SECRET}&x=1`);
    const redacted = redactor.redact(embedded);
    strictEqual(redacted.includes(REDACTED), true, `offset ${prefix.length}`);
    // What is left cannot be decoded back into the secret.
    strictEqual(redacted.replaceAll(REDACTED, "").length < embedded.length - 20, true);
  }
  strictEqual(redactor.redact(b64(SECRET).replace(/=+$/, "")), REDACTED);
  strictEqual(redactor.redact(encodeURIComponent(SECRET)), REDACTED);
});

Deno.test("Redactor.redact() redacts values shorter than 4 characters once registered", () => {
  const redactor = new Redactor();
  redactor.add("pw1");
  strictEqual(redactor.redact("--password=pw1 and pw1"), `--password=${REDACTED} and ${REDACTED}`);
  strictEqual(redactor.redact(b64("pw1")), REDACTED);
});

Deno.test("Redactor.redact() is idempotent even when a secret is part of the placeholder", () => {
  const redactor = new Redactor();
  redactor.add("red", "cte");
  const once = redactor.redact("red alert");
  strictEqual(once, `${REDACTED} alert`);
  strictEqual(redactor.redact(once), once);
});

Deno.test("Redactor.add() ignores empty and missing values", () => {
  const redactor = new Redactor();
  redactor.add("", undefined);
  strictEqual(redactor.size, 0);
  strictEqual(redactor.redact("nothing to hide"), "nothing to hide");
});

Deno.test("Redactor.redactValue() redacts strings deep inside objects and arrays", () => {
  const redactor = new Redactor();
  redactor.add("hunter22");
  const event = {
    type: "cmd",
    argv: ["kubectl", "create", "secret", "--from-literal=pw=hunter22"],
    nested: { deep: [{ s: "x hunter22 y", n: 3, b: true, z: null }] },
  };
  assertEquals(redactor.redactValue(event), {
    type: "cmd",
    argv: ["kubectl", "create", "secret", `--from-literal=pw=${REDACTED}`],
    nested: { deep: [{ s: `x ${REDACTED} y`, n: 3, b: true, z: null }] },
  });
  strictEqual(event.nested.deep[0].s, "x hunter22 y");
});

Deno.test("redactArgv() redacts the values of secret flags in both spellings", () => {
  assertEquals(
    redactArgv(["kubectl", "--token", "abc.def", "get", "pods", "--password=pw", "-n", "x"]),
    ["kubectl", "--token", REDACTED, "get", "pods", `--password=${REDACTED}`, "-n", "x"],
  );
  assertEquals(redactArgv(["helm", "--registry-password", "p", "--client-secret=s"]), [
    "helm",
    "--registry-password",
    REDACTED,
    `--client-secret=${REDACTED}`,
  ]);
});

Deno.test("redactArgv() keeps the key of --from-literal and hides its value", () => {
  assertEquals(
    redactArgv([
      "kubectl",
      "create",
      "secret",
      "generic",
      "kiali",
      "--from-literal=oidc-secret=abc==",
    ]),
    ["kubectl", "create", "secret", "generic", "kiali", `--from-literal=oidc-secret=${REDACTED}`],
  );
  assertEquals(redactArgv(["--from-literal", "k=v"]), ["--from-literal", `k=${REDACTED}`]);
});

Deno.test("redactArgv() hides --set values whose key looks secret", () => {
  assertEquals(
    redactArgv([
      "helm",
      "upgrade",
      "--set",
      "cni.exclusive=false,auth.password=p\\,w,replicas=2",
      "--set-string=apiKey=abc",
      "--set",
      "global.hub=docker.io/istio",
      "--set-file",
      "token=/tmp/token",
    ]),
    [
      "helm",
      "upgrade",
      "--set",
      `cni.exclusive=false,auth.password=${REDACTED},replicas=2`,
      `--set-string=apiKey=${REDACTED}`,
      "--set",
      "global.hub=docker.io/istio",
      "--set-file",
      "token=/tmp/token",
    ],
  );
});

Deno.test("redactArgv() with a redactor hides registered secrets anywhere in argv", () => {
  const redactor = new Redactor();
  redactor.add("s3cr3t-value");
  const argv = ["curl", "-H", "Authorization: Bearer s3cr3t-value", "https://x"];
  const redacted = redactor.redactArgv(argv);
  assertEquals(redacted, ["curl", "-H", `Authorization: Bearer ${REDACTED}`, "https://x"]);
  assertEquals(leaks(redacted.join(" "), "s3cr3t-value"), []);
});

Deno.test("Redactor.redactValue() keeps object keys, so a secret equal to a key leaves the structure whole", () => {
  const redactor = new Redactor();
  redactor.add("metadata", "durationMs");
  const value = { metadata: { name: "x" }, durationMs: 5, note: "metadata and durationMs" };
  assertEquals(redactor.redactValue(value), {
    metadata: { name: "x" },
    durationMs: 5,
    note: `${REDACTED} and ${REDACTED}`,
  });
});
