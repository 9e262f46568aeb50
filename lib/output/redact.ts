/**
 * Keeps secrets out of everything we print or record: events, argv, error
 * messages. A `Redactor` knows secret values registered at run time (from the
 * environment) and replaces every occurrence, in the forms a secret travels
 * in: plain, JSON-escaped, URL-encoded and base64 (as in a Secret's `data`).
 */

/** What a secret is replaced with. */
export const REDACTED = "<redacted>";

/** Secret forms shorter than this are not searched inside base64 at an offset. */
const MIN_EMBEDDED_BASE64 = 8;

/** Replaces registered secret values with `<redacted>`. */
export class Redactor {
  #secrets = new Set<string>();
  #patterns = new Set<string>();
  #regex: RegExp | undefined;

  /** Registers secret values; empty or missing values are ignored. */
  add(...values: (string | undefined)[]): void {
    for (const value of values) {
      if (value === undefined || value === "" || this.#secrets.has(value)) continue;
      this.#secrets.add(value);
      for (const form of secretForms(value)) this.#patterns.add(form);
      this.#regex = undefined;
    }
  }

  /** How many secret values are registered. */
  get size(): number {
    return this.#secrets.size;
  }

  /** The text with every known secret form replaced. */
  redact(text: string): string {
    if (this.#patterns.size === 0 || text === "") return text;
    this.#regex ??= buildRegex([...this.#patterns]);
    return text.replace(this.#regex, REDACTED);
  }

  /**
   * A deep copy with every string value redacted. Object keys are kept: they
   * are the structure (a secret that equals a key such as "metadata" must
   * not turn `{"metadata":…}` into `{"<redacted>":…}`), and no key of ours
   * carries a secret. String values under a key in `keep` are kept too (an
   * event's `type`, `action`: words of our own vocabulary).
   */
  redactValue<T>(value: T, options: { keep?: ReadonlySet<string> } = {}): T {
    return this.#deep(value, options.keep) as T;
  }

  /** `redactArgv()` with this redactor's values as well. */
  redactArgv(argv: readonly string[]): string[] {
    return redactArgv(argv, { redactor: this });
  }

  #deep(value: unknown, keep?: ReadonlySet<string>): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.#deep(v, keep));
    if (value instanceof Error) return this.redact(String(value.message));
    if (typeof value === "object" && value !== null) {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return value;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        out[key] = typeof v === "string" && keep?.has(key) ? v : this.#deep(v, keep);
      }
      return out;
    }
    return value;
  }
}

export interface RedactArgvOptions {
  /** also replace the registered secret values everywhere */
  redactor?: Redactor;
}

/** Flags whose value is always secret (`--token X`, `--password=X`, ...). */
const SECRET_FLAG =
  /^--?(?:[\w-]*-)?(?:token|password|passwd|secret|api-key|apikey|client-secret|credentials?)$/i;

/** `--set` style flags whose `key=value` pairs are secret when the key looks it. */
const SET_FLAG = /^--set(?:-string|-literal|-json)?$/;

/** A helm/kubectl key that names a secret. */
const SECRET_KEY = /secret|password|passwd|token|key|credential/i;

/**
 * Redacts argv for display: values of secret flags (`--token`, `--password`,
 * ...), every `--from-literal=key=VALUE` (the key is kept), `--set key=VALUE`
 * pairs whose key looks secret, and, with a redactor, every known secret.
 */
export function redactArgv(argv: readonly string[], options: RedactArgvOptions = {}): string[] {
  const out: string[] = [];
  let pending: ((value: string) => string) | undefined;
  for (const arg of argv) {
    if (pending) {
      out.push(pending(arg));
      pending = undefined;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("-") ? (eq === -1 ? arg : arg.slice(0, eq)) : undefined;
    const transform = flag === undefined ? undefined : flagTransform(flag);
    if (transform && eq !== -1) out.push(`${flag}=${transform(arg.slice(eq + 1))}`);
    else if (transform) {
      out.push(arg);
      pending = transform;
    } else out.push(arg);
  }
  const redactor = options.redactor;
  return redactor ? out.map((arg) => redactor.redact(arg)) : out;
}

function flagTransform(flag: string): ((value: string) => string) | undefined {
  if (SECRET_FLAG.test(flag)) return () => REDACTED;
  if (flag === "--from-literal") return redactPair;
  if (SET_FLAG.test(flag)) return redactSetPairs;
  return undefined;
}

/** `key=VALUE` → `key=<redacted>`; without `=` the whole value. */
function redactPair(pair: string): string {
  const eq = pair.indexOf("=");
  return eq === -1 ? REDACTED : `${pair.slice(0, eq)}=${REDACTED}`;
}

/** helm's `a=1,b.password=x` (a `\,` does not split). */
function redactSetPairs(value: string): string {
  return splitUnescaped(value, ",")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      return SECRET_KEY.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join(",");
}

function splitUnescaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\" && i + 1 < value.length) {
      current += ch + value[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Every form in which a secret may show up in text. */
function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1));
  forms.add(encodeURIComponent(secret));
  const bytes = new TextEncoder().encode(secret);
  for (const b64 of base64Forms(bytes)) forms.add(b64);
  forms.delete("");
  return [...forms];
}

/**
 * Base64 (standard and URL-safe) of the secret on its own, padded and not,
 * and the part that does not depend on its neighbours when the secret sits at
 * any byte offset inside a longer encoded value.
 */
function base64Forms(bytes: Uint8Array): string[] {
  const forms: string[] = [];
  const whole = toBase64(bytes);
  forms.push(whole);
  const unpadded = whole.replace(/=+$/, "");
  if (unpadded.length >= MIN_EMBEDDED_BASE64) forms.push(unpadded);
  for (let offset = 0; offset < 3; offset++) {
    const shifted = new Uint8Array(offset + bytes.length);
    shifted.set(bytes, offset);
    const encoded = toBase64(shifted);
    // A base64 character covers bits [6i, 6i+6); keep those within the secret's bits.
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_EMBEDDED_BASE64) forms.push(core);
  }
  return forms.flatMap((f) => [f, f.replaceAll("+", "-").replaceAll("/", "_")]);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function buildRegex(patterns: string[]): RegExp {
  const sorted = [...new Set(patterns)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  // An earlier `<redacted>` is matched first and kept, so redacting twice is harmless.
  return new RegExp([REDACTED, ...sorted].map(escapeRegex).join("|"), "g");
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
