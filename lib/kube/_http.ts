/**
 * The errors of the in-process client: an HTTP `Status` answer or a failed
 * connection becomes one {@link ApiError}, whose `transient` flag comes from
 * the same classes as a failed kubectl call (`isTransient` in retry.ts).
 *
 * @module
 */

import { readText } from "./body.ts";
import { isTransient } from "./retry.ts";

/** Where a request went, for messages and hints. */
export interface RequestSite {
  method: string;
  /** path and query */
  path: string;
  server: string;
  context: string;
  user: string;
  files: string[];
}

export interface ApiErrorOptions {
  /** HTTP status; 0 when no answer came */
  status: number;
  /** the Status reason, or a connection failure's kind (ConnectionRefused, Timeout, TLS, ...) */
  reason: string;
  /** the Status message, or the failure's detail */
  detail: string;
  site: RequestSite;
  transient: boolean;
  /** why it is transient, from retry.ts */
  transientReason?: string;
  retryAfterSeconds?: number;
  /** the Status object, when the server sent one */
  body?: Record<string, unknown>;
  hint?: string;
}

/** A request that failed: an error status from the API server, or no answer at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** the Status message (or the connection failure), without the request and the hint */
  readonly detail: string;
  readonly method: string;
  readonly path: string;
  readonly server: string;
  readonly transient: boolean;
  readonly transientReason?: string;
  readonly retryAfterSeconds?: number;
  readonly body?: Record<string, unknown>;
  readonly hint?: string;

  constructor(message: string, options: ApiErrorOptions) {
    super(options.hint ? `${message}\nhint: ${options.hint}` : message);
    this.name = "ApiError";
    this.status = options.status;
    this.reason = options.reason;
    this.detail = options.detail;
    this.method = options.site.method;
    this.path = options.site.path;
    this.server = options.site.server;
    this.transient = options.transient;
    this.transientReason = options.transientReason;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.body = options.body;
    this.hint = options.hint;
  }
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Gone",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

function kubeconfigOf(site: RequestSite): string {
  return site.files.join(":") || "the kubeconfig";
}

function statusHint(status: number, site: RequestSite): string | undefined {
  if (status === 401) {
    return `the credentials of user "${site.user}" (context "${site.context}" in ${
      kubeconfigOf(site)
    }) were refused; check them with \`kubectl --context ${site.context} auth whoami\``;
  }
  if (status === 403) {
    return `user "${site.user}" of context "${site.context}" lacks permission; check with \`kubectl --context ${site.context} auth can-i --list\``;
  }
  return undefined;
}

/** The ApiError for an HTTP answer that is not 2xx (reads and closes the body, until `signal` aborts). */
export async function errorFromResponse(
  res: Response,
  site: RequestSite,
  signal?: AbortSignal,
): Promise<ApiError> {
  const text = await readText(res, signal).catch(() => "");
  let body: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && parsed.kind === "Status") body = parsed;
  } catch {
    body = undefined;
  }
  const fallback = text.trim().split("\n")[0].slice(0, 300) || res.statusText;
  const header = Number(res.headers.get("retry-after"));
  return statusError(res.status, body, site, {
    fallback,
    retryAfterSeconds: Number.isFinite(header) && header > 0 ? header : undefined,
  });
}

/** The ApiError for a `Status` object (e.g. a watch's ERROR event). */
export function errorFromStatus(body: Record<string, unknown>, site: RequestSite): ApiError {
  const code = typeof body.code === "number" && body.code > 0 ? body.code : 500;
  return statusError(code, body, site, {});
}

function statusError(
  status: number,
  body: Record<string, unknown> | undefined,
  site: RequestSite,
  options: { fallback?: string; retryAfterSeconds?: number },
): ApiError {
  const reason = typeof body?.reason === "string" && body.reason
    ? body.reason
    : REASONS[status] ?? `HTTP${status}`;
  const detail = typeof body?.message === "string" && body.message
    ? body.message
    : options.fallback || `status ${status}`;
  const details = body?.details as Record<string, unknown> | undefined;
  const fromBody = typeof details?.retryAfterSeconds === "number"
    ? details.retryAfterSeconds
    : undefined;
  const verdict = isTransient({
    exitCode: 1,
    stderr: `status code: ${status} (${reason}) ${detail}`,
  });
  return new ApiError(
    `Cannot ${site.method} ${site.path} on ${site.server}: ${status} ${reason}: ${detail}`,
    {
      status,
      reason,
      detail,
      site,
      transient: verdict.transient,
      transientReason: verdict.transient ? verdict.reason : undefined,
      retryAfterSeconds: options.retryAfterSeconds ?? fromBody,
      body,
      hint: statusHint(status, site),
    },
  );
}

function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, i = 0; e !== undefined && e !== null && i < 5; i++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ");
}

/** The ApiError for a request that got no answer (refused, DNS, TLS, reset, ...). */
export function errorFromFailure(
  error: unknown,
  site: RequestSite,
  options: { serverSeen: boolean },
): ApiError {
  const chain = causeChain(error);
  const verdict = isTransient({ exitCode: 1, stderr: chain }, { serverSeen: options.serverSeen });
  const where = `context "${site.context}" in ${kubeconfigOf(site)}`;
  let reason = "ConnectionError";
  let detail = chain.replace(/^fetch failed: /i, "").replace(/error sending request[^:]*: /, "");
  let hint = `check the server of ${where} (\`kubectl config view --minify\`)`;
  if (/connection refused/i.test(chain)) {
    reason = "ConnectionRefused";
    detail = "connection refused";
    hint = `is the cluster of ${where} running? ${hint}`;
  } else if (/dns error|failed to lookup address|name or service not known/i.test(chain)) {
    reason = "DNSError";
    detail = `cannot resolve "${hostOf(site.server)}"`;
  } else if (/certificate|tls|handshake|alert/i.test(chain)) {
    reason = "TLSError";
    detail = `TLS handshake failed: ${detail}`;
    hint = `check certificate-authority and the client certificate of ${where}`;
  }
  return new ApiError(`Cannot ${site.method} ${site.path} on ${site.server}: ${detail}`, {
    status: 0,
    reason,
    detail,
    site,
    transient: verdict.transient,
    transientReason: verdict.transient ? verdict.reason : undefined,
    hint,
  });
}

/** The ApiError for a request whose deadline passed without an answer. */
export function deadlineError(site: RequestSite, timeoutMs: number): ApiError {
  const seconds = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000}s` : `${timeoutMs}ms`;
  return new ApiError(
    `No answer from ${site.server} within ${seconds} for ${site.method} ${site.path}`,
    {
      status: 0,
      reason: "Timeout",
      detail: `no answer within ${seconds}`,
      site,
      transient: false,
      hint:
        `is the API server of context "${site.context}" overloaded or behind a proxy that holds connections? check it with \`kubectl --context ${site.context} get --raw /readyz\``,
    },
  );
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}
