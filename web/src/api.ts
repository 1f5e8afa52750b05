/**
 * The one way the standard apps reach the platform: the public APIs on their own host, with the gateway session
 * (cookies), `X-Requested-With` so a lost session answers 401 instead of a redirect, and `x-xsrf-token` on
 * state-changing requests (Industrial IoT Gateway "AJAX Requests", "Cross-Site-Request-Forgery").
 */

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function cookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return '';
}

export interface Call {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer<T> {
  body: T;
  etag: string | null;
  /** The `Link: <…>; rel="next"` of a paged answer. */
  next: string | null;
}

async function send(path: string, call: Call): Promise<Response> {
  const method = call.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest', ...call.headers };
  if (method !== 'GET' && method !== 'HEAD') headers['x-xsrf-token'] = cookie('XSRF-TOKEN');
  let body: string | undefined;
  if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.body);
  }
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  if (res.status === 401) {
    location.assign(`/login?returnTo=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'The session ended: sign in again.');
  }
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  return res;
}

/** The API's own message: `message`, or the first of `errors[]`, else the status line. */
async function errorMessage(res: Response): Promise<string> {
  try {
    const e = (await res.json()) as { message?: string; errors?: { message?: string }[] };
    return e.message ?? e.errors?.[0]?.message ?? `${res.status} ${res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

export async function api<T>(path: string, call: Call = {}): Promise<Answer<T>> {
  const res = await send(path, call);
  const text = res.status === 204 ? '' : await res.text();
  const next = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  return { body: (text ? JSON.parse(text) : undefined) as T, etag: res.headers.get('etag'), next };
}

export const get = async <T>(path: string): Promise<T> => (await api<T>(path)).body;

/** The user of the session (Identity Management API v3 Users/me). */
export interface Me {
  userName: string;
  tenant: string;
  emails: { value: string }[];
  roles: { value: string }[];
}

export const me = (): Promise<Me> => get<Me>('/api/identitymanagement/v3/Users/me');

/** Ends the session (POST /logout with the CSRF token) and shows the login page. */
export async function logout(): Promise<void> {
  await fetch('/logout', { method: 'POST', headers: { 'x-xsrf-token': cookie('XSRF-TOKEN') }, credentials: 'same-origin', redirect: 'manual' });
  location.assign('/login');
}

/** This host's tenant and the address of another app of the same tenant: `{tenant}-{app}.{region}.{domain}`. */
export function appHost(app: string): string {
  const [first = '', ...rest] = location.host.split('.');
  const tenant = first.split('-')[0];
  return `${location.protocol}//${tenant}-${app}.${rest.join('.')}/`;
}

export const tenantOfHost = (): string => (location.host.split('.')[0] ?? '').split('-')[0] ?? '';
