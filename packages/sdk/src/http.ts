/**
 * The transport every typed client shares: base URL joining, query strings, JSON bodies, the bearer token with
 * one 401 recovery, and every unsuccessful response turned into an IronbridgeError.
 */
import type { TokenSource } from './auth.js';
import { errorFromResponse, IronbridgeError } from './errors.js';
import { authFetch, joinUrl } from './fetch.js';

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;
export type Query = Record<string, QueryValue>;

export interface ClientOptions {
  /** Gateway URL, e.g. `http://localhost:8080` or `https://gateway.eu1.mindsphere.io`. */
  baseUrl: string;
  /** Token source (an Authenticator or StaticToken). Without one, requests carry no Authorization (browser/session). */
  auth?: TokenSource;
  /** Underlying fetch (e.g. one with a proxy dispatcher). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Content type of a JSON body (default application/json; merge-patch uses application/merge-patch+json). */
  contentType?: string;
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Reads the `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: ClientOptions) {
    try {
      const u = new URL(options.baseUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL, got "${String(options.baseUrl).slice(0, 200)}"`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const inner = options.fetch ?? fetch;
    this.fetch = options.auth ? authFetch(options.auth, { fetch: inner }) : inner;
    this.headers = { ...options.headers };
  }

  url(path: string, query?: Query): string {
    return `${joinUrl(this.baseUrl, path)}${queryString(query)}`;
  }

  /** Sends a request; resolves with the response when it is 2xx or 304, else throws an IronbridgeError. */
  async send(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<Response> {
    const url = /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : this.url(pathOrUrl, options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= options.contentType ?? 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetch(url, { method, headers, body });
    } catch (err) {
      if (err instanceof IronbridgeError) throw err;
      throw new IronbridgeError({ statusCode: 0, code: 'network', logref: '', messageParameters: [],
        message: `the platform could not be reached: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message}` },
      method, url, { cause: err });
    }
    if (res.ok || res.status === 304) return res;
    throw errorFromResponse(res.status, await res.text(), method, url);
  }

  /** Sends a request and parses the JSON answer (undefined for 204/empty bodies). */
  async json<T>(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, pathOrUrl, options);
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new IronbridgeError({ statusCode: res.status, code: 'invalidResponse', logref: '', messageParameters: [],
        message: `the platform answered ${res.status} with a body that is not JSON` }, method, res.url);
    }
  }
}

/** Client-side parameter check failure, in the same shape as the platform's invalidParameter. */
export function invalidParameter(name: string, rule: string): IronbridgeError {
  return new IronbridgeError({
    statusCode: 400, code: 'mdsp.core.generic.invalidParameter', logref: '',
    message: `Parameter ${name} is invalid: ${rule}.`, messageParameters: [{ name: 'name', value: name }, { name: 'rule', value: rule }],
  });
}

export function missingParameter(name: string): IronbridgeError {
  return new IronbridgeError({
    statusCode: 400, code: 'mdsp.core.generic.missingParameter', logref: '',
    message: `Required parameter ${name} is missing.`, messageParameters: [{ name: 'name', value: name }],
  });
}
