/**
 * The HTTP layer of the in-process client: one `Deno.createHttpClient` per
 * cluster (and per exec-plugin client certificate), the credential of each
 * request, a deadline on every request combined with the caller's signal,
 * failures turned into {@link ApiError}s, and retries of the transient ones
 * with retry.ts's capped backoff (at least the server's Retry-After).
 *
 * @module
 */

import {
  ApiError,
  deadlineError,
  errorFromFailure,
  errorFromResponse,
  type RequestSite,
} from "./_http.ts";
import { readText } from "./body.ts";
import { type Credential, Credentials, type CredentialsOptions } from "./credentials.ts";
import type { ResolvedKubeconfig } from "./kubeconfig.ts";
import { abortableSleep, retry, type RetryInfo } from "./retry.ts";

/** Per call. */
export interface CallOptions {
  signal?: AbortSignal;
  /** this request's deadline (default: the client's `timeoutMs`) */
  timeoutMs?: number;
  /** called before each retry of this request */
  onRetry?(info: RetryInfo): void;
}

export interface TransportOptions {
  /** deadline of every request (default 15 s); for a watch, until the answer's headers */
  timeoutMs?: number;
  /** retries of transient failures (defaults of retry.ts: 6 attempts, 500 ms doubling, 60 s cap) */
  retry?: { baseMs?: number; maxDelayMs?: number; maxAttempts?: number; totalCapMs?: number };
  /** called before each retry */
  onRetry?(info: RetryInfo & { method: string; path: string }): void;
  /** the exec plugin's deadline and expiry skew */
  credentials?: CredentialsOptions;
  userAgent?: string;
}

export interface SendOptions extends CallOptions {
  body?: string;
  contentType?: string;
  accept?: string;
  /** return the Response once its headers arrive, body unread */
  stream?: boolean;
}

const MAX_RETRY_AFTER_MS = 10_000;

/** Requests to one cluster as one user. */
export class Transport {
  readonly config: ResolvedKubeconfig;
  readonly #options: TransportOptions;
  readonly #credentials: Credentials;
  readonly #httpClients = new Map<string, Deno.HttpClient>();
  #serverSeen = false;
  #closed = false;

  constructor(config: ResolvedKubeconfig, options: TransportOptions = {}) {
    this.config = config;
    this.#options = options;
    this.#credentials = new Credentials(config, options.credentials);
  }

  get server(): string {
    return this.config.cluster.server;
  }

  /** How many times the exec plugin ran. */
  get execRuns(): number {
    return this.#credentials.execRuns;
  }

  /** Releases the HTTP clients; requests after this fail. */
  close(): void {
    this.#closed = true;
    for (const client of this.#httpClients.values()) client.close();
    this.#httpClients.clear();
  }

  /** a request's deadline */
  timeoutMs(options: CallOptions = {}): number {
    return options.timeoutMs ?? this.#options.timeoutMs ?? 15_000;
  }

  /** where a request goes, for messages */
  site(method: string, path: string): RequestSite {
    return {
      method,
      path,
      server: this.server,
      context: this.config.context,
      user: this.config.user.name,
      files: this.config.files,
    };
  }

  /** One request with retries; the body text, or undefined on 404 when `notFound` allows it. */
  async request(
    method: string,
    path: string,
    options: SendOptions & { notFound?: boolean } = {},
  ): Promise<string | undefined> {
    let retryAfterMs = 0;
    const settings = this.#options.retry ?? {};
    try {
      return await retry(async () => (await this.send(method, path, options)) as string, {
        ...settings,
        signal: options.signal,
        isRetryable: (error) => {
          if (!(error instanceof ApiError) || !error.transient) return undefined;
          retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, (error.retryAfterSeconds ?? 0) * 1000);
          return error.transientReason ?? error.reason;
        },
        sleep: (ms, signal) => abortableSleep(Math.max(ms, retryAfterMs), signal),
        onRetry: (info) => {
          options.onRetry?.(info);
          this.#options.onRetry?.({ ...info, method, path });
        },
      });
    } catch (error) {
      if (options.notFound && error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** One attempt, no retry (plus one exec credential refresh on 401). */
  async send(method: string, path: string, options: SendOptions): Promise<string | Response> {
    for (let refreshed = false;; refreshed = true) {
      const credential = await this.#credentials.get(options.signal);
      try {
        return await this.#attempt(method, path, options, credential);
      } catch (error) {
        if (
          error instanceof ApiError && error.status === 401 && credential.fromExec && !refreshed
        ) {
          this.#credentials.invalidate();
          continue;
        }
        throw error;
      }
    }
  }

  async #attempt(
    method: string,
    path: string,
    options: SendOptions,
    credential: Credential,
  ): Promise<string | Response> {
    if (this.#closed) {
      throw new Error(`Cannot ${method} ${path}: the client for ${this.server} is closed`);
    }
    const site = this.site(method, path);
    const timeoutMs = this.timeoutMs(options);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, deadline.signal])
      : deadline.signal;
    const headers: Record<string, string> = {
      accept: options.accept ?? "application/json",
      "user-agent": this.#options.userAgent ?? "meshup (deno)",
    };
    if (credential.authorization) headers.authorization = credential.authorization;
    if (options.body !== undefined) {
      headers["content-type"] = options.contentType ?? "application/json";
    }
    try {
      const res = await fetch(`${this.server}${path}`, {
        method,
        headers,
        body: options.body,
        signal,
        client: this.#httpClient(credential.clientCert),
      });
      this.#serverSeen = true;
      if (!res.ok) throw await errorFromResponse(res, site, signal);
      if (options.stream) return res;
      return await readText(res, signal);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (options.signal?.aborted) throw options.signal.reason;
      if (deadline.signal.aborted) throw deadlineError(site, timeoutMs);
      throw errorFromFailure(error, site, { serverSeen: this.#serverSeen });
    } finally {
      clearTimeout(timer);
    }
  }

  /** A WebSocket to an API path (port-forward) with this user's credential and TLS settings. */
  async webSocket(path: string, protocols: string[], signal?: AbortSignal): Promise<WebSocket> {
    if (this.#closed) {
      throw new Error(`Cannot open ${path}: the client for ${this.server} is closed`);
    }
    const credential = await this.#credentials.get(signal);
    const headers: Record<string, string> = {
      "user-agent": this.#options.userAgent ?? "meshup (deno)",
    };
    if (credential.authorization) headers.authorization = credential.authorization;
    return new WebSocket(`${this.server.replace(/^http/, "ws")}${path}`, {
      protocols,
      headers,
      client: this.#httpClient(credential.clientCert),
    });
  }

  #httpClient(exec?: { certPem: string; keyPem: string }): Deno.HttpClient {
    const { cluster, user } = this.config;
    const cert = exec ??
      (user.clientCertPem && user.clientKeyPem
        ? { certPem: user.clientCertPem, keyPem: user.clientKeyPem }
        : undefined);
    const key = cert ? cert.certPem : "";
    let client = this.#httpClients.get(key);
    if (client) return client;
    const options: Deno.CreateHttpClientOptions = { http1: true, http2: true };
    if (cluster.caPem) options.caCerts = [cluster.caPem];
    if (cluster.proxyUrl) options.proxy = proxyOf(cluster.proxyUrl);
    client = cert
      ? Deno.createHttpClient({ ...options, cert: cert.certPem, key: cert.keyPem })
      : Deno.createHttpClient(options);
    this.#httpClients.set(key, client);
    return client;
  }
}

function proxyOf(url: string): Deno.Proxy {
  const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
  const transport = scheme.startsWith("socks") ? "socks5" : scheme === "https" ? "https" : "http";
  return { transport, url };
}
