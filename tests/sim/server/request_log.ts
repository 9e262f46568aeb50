/**
 * The simulator's request log, for tests that count requests (control
 * endpoints excluded).
 *
 * @module
 */

/** One logged request. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  query: string;
  userAgent: string;
  contentType: string;
  status: number;
  durationMs: number;
  watch: boolean;
}

/** A filter for counting logged requests. */
export interface RequestFilter {
  method?: string;
  /** Regular expression (string or RegExp) on the path. */
  path?: string | RegExp;
  /** Regular expression on the query string. */
  query?: string | RegExp;
  /** Regular expression on the User-Agent (e.g. /^Helm/). */
  userAgent?: string | RegExp;
  status?: number;
}

/** The request log, for tests that count requests. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  /** Appends an entry. */
  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
  }

  /** Every entry, oldest first (optionally filtered). */
  list(filter: RequestFilter = {}): RequestLogEntry[] {
    const re = (v: string | RegExp | undefined): RegExp | undefined =>
      v === undefined ? undefined : typeof v === "string" ? new RegExp(v) : v;
    const path = re(filter.path);
    const query = re(filter.query);
    const agent = re(filter.userAgent);
    return this.#entries.filter((e) =>
      (filter.method === undefined || filter.method.toUpperCase() === e.method) &&
      (path === undefined || path.test(e.path)) &&
      (query === undefined || query.test(e.query)) &&
      (agent === undefined || agent.test(e.userAgent)) &&
      (filter.status === undefined || filter.status === e.status)
    );
  }

  /** How many entries match. */
  count(filter: RequestFilter = {}): number {
    return this.list(filter).length;
  }

  /** Forgets every entry. */
  reset(): void {
    this.#entries = [];
  }
}
