/**
 * Adding the bearer token to every call: a fetch wrapper with one 401 recovery (the token is dropped and the
 * request repeated once with a new one, when its body can be sent again), and an undici interceptor/dispatcher.
 */
import { Agent, type Dispatcher } from 'undici';
import type { TokenSource } from './auth.js';

export interface AuthFetchOptions {
  /** Relative URLs ('/api/…') are resolved against this base (its path prefix is kept). */
  baseUrl?: string;
  /** The underlying fetch. Default: global fetch. */
  fetch?: typeof fetch;
}

/** Joins a base URL and a path, keeping the base's own path prefix. */
export function joinUrl(baseUrl: string | undefined, path: string): string {
  if (/^https?:\/\//i.test(path) || !baseUrl) return path;
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

const replayable = (body: unknown): boolean =>
  body === undefined || body === null || typeof body === 'string' || body instanceof URLSearchParams
  || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof Blob || body instanceof FormData;

/** A fetch that sends `Authorization: Bearer <token>` from the source unless the call sets its own. */
export function authFetch(source: TokenSource, options: AuthFetchOptions = {}): typeof fetch {
  const inner = options.fetch ?? fetch;
  const wrapped = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = input instanceof Request ? input.url : joinUrl(options.baseUrl, String(input));
    const base = input instanceof Request ? input : undefined;
    const given = new Headers(init.headers ?? base?.headers);
    if (given.has('authorization')) return inner(base ?? url, { ...init, headers: given });
    const send = async (token: string) => {
      const headers = new Headers(given);
      headers.set('authorization', `Bearer ${token}`);
      return inner(base ? base.clone() : url, { ...init, headers });
    };
    const token = await source.getAccessToken();
    const res = await send(token);
    if (res.status !== 401 || base?.body || !replayable(init.body)) return res;
    // RFC 6750 §3.1: the token was rejected (expired early, revoked, keys rotated); one retry with a new token.
    source.invalidate(token);
    await res.body?.cancel();
    return send(await source.getAccessToken());
  };
  return wrapped as typeof fetch;
}

type RawHeaders = Dispatcher.DispatchOptions['headers'];

/** Sets the Authorization header in any of undici's header forms unless it is already there. */
function withAuthorization(headers: RawHeaders, value: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (k: string, v: unknown) => {
    if (v === undefined || v === null) return;
    const key = k.toLowerCase();
    const val = Array.isArray(v) ? v.map(String) : String(v);
    const prev = out[key];
    out[key] = prev === undefined ? val : ([] as string[]).concat(prev, val);
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(String(headers[i]), headers[i + 1]);
  } else if (headers && typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of headers as Iterable<[string, string]>) add(pair[0], pair[1]);
  } else if (headers) {
    for (const [k, v] of Object.entries(headers)) add(k, v);
  }
  if (out['authorization'] === undefined) out['authorization'] = value;
  return out;
}

/**
 * An undici interceptor: `agent.compose(authInterceptor(auth))`. A 401 answer drops the token so the next request
 * gets a new one (the interceptor cannot repeat a request whose body it has already streamed).
 */
export function authInterceptor(source: TokenSource): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    source.getAccessToken().then((token) => {
      const headers = withAuthorization(opts.headers, `Bearer ${token}`);
      const sentOwn = headers['authorization'] !== `Bearer ${token}`;
      const observing: Dispatcher.DispatchHandler = {
        onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
        onRequestUpgrade: (c, s, h, sock) => handler.onRequestUpgrade?.(c, s, h, sock),
        onResponseStart: (c, status, h, msg) => {
          if (status === 401 && !sentOwn) source.invalidate(token);
          return handler.onResponseStart?.(c, status, h, msg);
        },
        onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
        onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
        onResponseError: (c, err) => handler.onResponseError?.(c, err),
      };
      dispatch({ ...opts, headers }, observing);
    }, (err: Error) => {
      handler.onResponseError?.(null as unknown as Dispatcher.DispatchController, err);
    });
    return true;
  };
}

/** An undici dispatcher that authenticates every request: `undici.request(url, { dispatcher })` or setGlobalDispatcher. */
export function authDispatcher(source: TokenSource, base: Dispatcher = new Agent()): Dispatcher {
  return base.compose(authInterceptor(source));
}
