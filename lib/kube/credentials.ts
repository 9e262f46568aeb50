/**
 * The credentials of a resolved kubeconfig user, per request: a token file
 * (re-read when it changes) over a token over an exec plugin's credential
 * (cached until its expirationTimestamp), else basic auth. An exec plugin may
 * also hand back a client certificate.
 *
 * @module
 */

import type { ExecConfig, ResolvedKubeconfig } from "./kubeconfig.ts";
import { stderrTail } from "./retry.ts";

/** A credential that could not be obtained (a missing or failing exec plugin, an unreadable token file). */
export class CredentialError extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(hint ? `${message}\nhint: ${hint}` : message);
    this.name = "CredentialError";
    this.hint = hint;
  }
}

/** What a request carries. */
export interface Credential {
  /** the Authorization header, if any */
  authorization?: string;
  /** a client certificate from an exec plugin (PEM) */
  clientCert?: { certPem: string; keyPem: string };
  /** the credential came from an exec plugin, so a 401 may be cured by running it again */
  fromExec: boolean;
}

export interface CredentialsOptions {
  /** deadline of one exec plugin run (default 60 s) */
  execTimeoutMs?: number;
  /** a credential is renewed this long before it expires (default 10 s) */
  expirySkewMs?: number;
  now?: () => number;
}

interface Cached {
  credential: Credential;
  expiresAt?: number;
}

const te = new TextDecoder();

/** Per-request credentials of one kubeconfig user; safe for concurrent callers. */
export class Credentials {
  readonly #resolved: ResolvedKubeconfig;
  readonly #options: CredentialsOptions;
  #fileToken?: { stamp: string; token: string };
  #exec?: Cached;
  #execRun?: Promise<Cached>;
  /** how many times the exec plugin ran (for tests and diagnostics) */
  execRuns = 0;

  constructor(resolved: ResolvedKubeconfig, options: CredentialsOptions = {}) {
    this.#resolved = resolved;
    this.#options = options;
  }

  /** The credential for the next request. */
  async get(signal?: AbortSignal): Promise<Credential> {
    const user = this.#resolved.user;
    if (user.tokenFile) {
      return {
        authorization: `Bearer ${await this.#readTokenFile(user.tokenFile)}`,
        fromExec: false,
      };
    }
    if (user.token) return { authorization: `Bearer ${user.token}`, fromExec: false };
    if (user.exec) return (await this.#execCredential(user.exec, signal)).credential;
    if (user.username !== undefined && user.password !== undefined) {
      const basic = btoa(
        String.fromCharCode(...new TextEncoder().encode(`${user.username}:${user.password}`)),
      );
      return { authorization: `Basic ${basic}`, fromExec: false };
    }
    return { fromExec: false };
  }

  /** Forgets a cached exec credential (after a 401). */
  invalidate(): void {
    this.#exec = undefined;
  }

  async #readTokenFile(path: string): Promise<string> {
    try {
      const info = await Deno.stat(path);
      const stamp = `${info.mtime?.getTime() ?? 0}:${info.size}`;
      if (this.#fileToken?.stamp !== stamp) {
        this.#fileToken = { stamp, token: (await Deno.readTextFile(path)).trim() };
      }
      return this.#fileToken.token;
    } catch (error) {
      if (this.#fileToken) return this.#fileToken.token;
      const detail = error instanceof Error ? error.message : String(error);
      throw new CredentialError(
        `Cannot read the token file "${path}" of user "${this.#resolved.user.name}": ${detail}`,
        `check tokenFile in ${this.#resolved.files.join(":")}`,
      );
    }
  }

  #execCredential(exec: ExecConfig, signal?: AbortSignal): Promise<Cached> {
    const now = (this.#options.now ?? Date.now)();
    const skew = this.#options.expirySkewMs ?? 10_000;
    const cached = this.#exec;
    if (cached && (cached.expiresAt === undefined || now < cached.expiresAt - skew)) {
      return Promise.resolve(cached);
    }
    this.#execRun ??= this.#runExec(exec, signal).then((fresh) => {
      this.#exec = fresh;
      return fresh;
    }).finally(() => this.#execRun = undefined);
    return this.#execRun;
  }

  async #runExec(exec: ExecConfig, signal?: AbortSignal): Promise<Cached> {
    this.execRuns++;
    const user = this.#resolved.user.name;
    const timeoutMs = this.#options.execTimeoutMs ?? 60_000;
    const shown = [exec.command, ...exec.args].join(" ");
    const hint = exec.installHint?.trim().split("\n")[0] ??
      `run \`${shown}\` by hand to see what it prints`;
    const env: Record<string, string> = {};
    for (const { name, value } of exec.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(this.#execInfo(exec));
    const deadline = AbortSignal.timeout(timeoutMs);
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(exec.command, {
        args: exec.args,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      }).output();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new CredentialError(
          `Cannot get credentials for user "${user}": exec plugin "${exec.command}" not found`,
          hint,
        );
      }
      const detail = error instanceof Error ? error.message : String(error);
      throw new CredentialError(
        `Cannot get credentials for user "${user}": exec plugin "${shown}" failed: ${detail}`,
        hint,
      );
    }
    if (deadline.aborted) {
      throw new CredentialError(
        `Cannot get credentials for user "${user}": exec plugin "${shown}" did not finish within ${
          timeoutMs / 1000
        }s`,
        hint,
      );
    }
    signal?.throwIfAborted();
    if (out.code !== 0) {
      const tail = stderrTail(te.decode(out.stderr), 3).replaceAll("\n", " | ");
      throw new CredentialError(
        `Cannot get credentials for user "${user}": exec plugin "${shown}" exited with code ${out.code}${
          tail ? `: ${tail}` : ""
        }`,
        hint,
      );
    }
    return this.#parseExecOutput(exec, te.decode(out.stdout), shown);
  }

  #execInfo(exec: ExecConfig): Record<string, unknown> {
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo) {
      const c = this.#resolved.cluster;
      spec.cluster = {
        server: c.server,
        ...(c.caPem ? { "certificate-authority-data": btoa(c.caPem) } : {}),
        ...(c.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
        ...(c.proxyUrl ? { "proxy-url": c.proxyUrl } : {}),
      };
    }
    return { apiVersion: exec.apiVersion, kind: "ExecCredential", spec };
  }

  #parseExecOutput(exec: ExecConfig, stdout: string, shown: string): Cached {
    const user = this.#resolved.user.name;
    const bad = (detail: string): CredentialError =>
      new CredentialError(
        `Cannot get credentials for user "${user}": exec plugin "${shown}" printed ${detail}`,
        `it must print an ExecCredential (${exec.apiVersion}) as JSON`,
      );
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(stdout);
    } catch {
      throw bad("no JSON");
    }
    if (doc?.kind !== "ExecCredential") throw bad(`kind "${String(doc?.kind)}"`);
    if (doc.apiVersion !== exec.apiVersion) {
      throw bad(`apiVersion "${String(doc.apiVersion)}", not "${exec.apiVersion}"`);
    }
    const status = (doc.status ?? {}) as Record<string, unknown>;
    const token = typeof status.token === "string" && status.token ? status.token : undefined;
    const certPem = typeof status.clientCertificateData === "string"
      ? status.clientCertificateData
      : undefined;
    const keyPem = typeof status.clientKeyData === "string" ? status.clientKeyData : undefined;
    if (!token && !(certPem && keyPem)) {
      throw bad("neither status.token nor status.clientCertificateData and clientKeyData");
    }
    let expiresAt: number | undefined;
    if (typeof status.expirationTimestamp === "string") {
      expiresAt = Date.parse(status.expirationTimestamp);
      if (Number.isNaN(expiresAt)) {
        throw bad(`expirationTimestamp "${status.expirationTimestamp}", not a time`);
      }
    }
    return {
      credential: {
        authorization: token ? `Bearer ${token}` : undefined,
        clientCert: certPem && keyPem ? { certPem, keyPem } : undefined,
        fromExec: true,
      },
      expiresAt,
    };
  }
}
