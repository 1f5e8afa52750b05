/**
 * What the security suites share: a server with two fresh tenants (A holds the objects, B is its rival), the
 * callers the isolation matrix uses (admin keys, a key lacking one scope, an expired token re-signed from a real
 * one), one HTTP call that never throws and gives up after a deadline, the check that an error answer is in the
 * error shape of its path prefix (Insights Hub API error responses), and the search for A's data in an answer.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { Agent } from 'undici';
import { errorShapeFor } from '../../src/core/http.js';
import { ALL_SCOPES } from '../../src/core/scopes.js';
import type { ErrorShape } from '../../src/core/errors.js';
import { checkTarget, normalizeTarget } from '../../src/gateway/uri.js';
import type { RouteEntry } from '../../src/platform/platform.js';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Call {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The Host header; the server's own address (a gateway host) when absent. */
  host?: string;
}

/** Longest any one answer may take; a request still unanswered then is a hang. */
export const ANSWER_DEADLINE_MS = 10_000;

const agent = new Agent({ keepAliveTimeout: 5_000, connections: 8 });

/** One request; rejects only when no answer came within the deadline or the connection failed. */
export async function send(base: string, c: Call): Promise<Answer> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.host !== undefined) headers['host'] = c.host;
  // origin and path apart: the path goes out byte for byte (a URL string would be normalised first: dot segments, %2e)
  const res = await agent.request({
    origin: base, path: c.path, method: c.method as 'GET', headers, body: c.body,
    headersTimeout: ANSWER_DEADLINE_MS, bodyTimeout: ANSWER_DEADLINE_MS,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

export const header = (a: Answer, name: string): string | undefined => {
  const v = a.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/**
 * The error shapes an answer for a request target may have: the one its path prefix selects (Insights Hub API error responses), for
 * the target as sent and, when the gateway can normalise it, for the normalised path (the gateway renders errors
 * found before normalising for the target as sent); on a web app host also the gateway's own shape for app paths.
 */
export function shapesOf(target: string, webAppHost = false): Set<ErrorShape> {
  const shapes = new Set<ErrorShape>([errorShapeFor(target)]);
  try {
    checkTarget(target);
    const { path } = normalizeTarget(target);
    shapes.add(errorShapeFor(path));
    if (webAppHost && !path.startsWith('/api/')) shapes.add('errors');
  } catch {
    if (webAppHost) shapes.add('errors');
  }
  return shapes;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string';

/** What is wrong with an error answer for `target` (shape, media type), or undefined when it is in our shape. */
export function errorShapeProblem(a: Answer, target: string, method = 'GET', webAppHost = false): string | undefined {
  if (method === 'HEAD') return undefined;
  const shapes = shapesOf(target, webAppHost);
  const type = header(a, 'content-type') ?? '';
  const named = [...shapes].join(' or ');
  if (/^application\/xml/.test(type)) {
    const markers = [...shapes].map((shape) => ({ errors: '<code>', legacy: '<id>', uaa: '<error_description>', s3: '<Code>', odata: '<code>' })[shape]);
    const root = shapes.has('s3') ? /<(error|Error)>/ : /<error>/;
    return a.text.startsWith('<?xml') && root.test(a.text) && markers.some((m) => a.text.includes(m)) ? undefined
      : `an XML error not in the ${named} shape: ${a.text.slice(0, 200)}`;
  }
  if (!/^application\/json/.test(type)) return `an error answer of type "${type}" (JSON or XML expected): ${a.text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `an error answer that is not JSON: ${a.text.slice(0, 200)}`;
  }
  if (!isObject(body)) return `an error body that is not an object: ${a.text.slice(0, 200)}`;
  const keys = Object.keys(body).sort().join(',');
  const fits = (shape: ErrorShape) => (shape === 'errors'
    ? keys === 'errors' && Array.isArray(body['errors']) && body['errors'].length > 0 && body['errors'].every((e) =>
      isObject(e) && str(e['code']) && str(e['logref']) && str(e['message']) && Array.isArray(e['messageParameters']))
    : shape === 'legacy' ? keys === 'id,message' && str(body['id']) && str(body['message'])
      : shape === 'odata' ? keys === 'error' && isObject(body['error']) && str(body['error']['code']) && str(body['error']['message'])
      : (keys === 'error,error_description' || keys === 'error,error_description,id') && str(body['error']) && str(body['error_description']));
  return [...shapes].some(fits) ? undefined : `not the ${named} error shape of ${target.split('?')[0]}: ${a.text.slice(0, 300)}`;
}

/** A's strings found in an answer that the request did not itself contain (an echo of the caller's input is no leak). */
export function leaksIn(a: Answer, secrets: Iterable<string>, requestText: string): string[] {
  const seen = `${JSON.stringify(a.headers)}\n${a.text}`;
  return [...secrets].filter((s) => seen.includes(s) && !requestText.includes(s));
}

export interface Tenant {
  name: string;
  /** A token of an admin key of the tenant (every scope). */
  token: string;
}

export interface SecurityEnv {
  s: TestServer;
  url: string;
  A: Tenant;
  B: Tenant;
  /** Every route of the server (the platform's route table). */
  routes: readonly RouteEntry[];
  /** Strings of A's data: no answer to anyone but A may contain them. */
  secrets: Set<string>;
  /** A token of tenant A whose key has every scope but `scope` (created once per scope). */
  lacking(scope: string): Promise<string>;
  /** A's admin token re-signed by the server's own key with its lifetime moved into the past. */
  expired(): Promise<string>;
  close(): Promise<void>;
}

/** Starts a server with tenants A and B; their names are unusual so that finding them in an answer means something. */
export async function securityEnv(settings: Record<string, string | number> = {}): Promise<SecurityEnv> {
  const s = await startServer(settings);
  const tag = randomBytes(3).toString('hex');
  const tenant = async (name: string): Promise<Tenant> => {
    await s.platform.provisionTenant(name, `${name}.example.com`);
    const key = await s.platform.identity.service.createKey(name, 'admin');
    return { name, token: await fetchToken(s.url, key) };
  };
  const A = await tenant(`alpha${tag}`);
  const B = await tenant(`bravo${tag}`);
  const lacking = new Map<string, Promise<string>>();
  let expired: Promise<string> | undefined;
  return {
    s, url: s.url, A, B, routes: s.platform.routes(), secrets: new Set([A.name]),
    lacking(scope) {
      let t = lacking.get(scope);
      if (!t) {
        t = s.platform.identity.service.createKey(A.name, `without-${scope}`, { scopes: ALL_SCOPES.filter((x) => x !== scope) })
          .then((key) => fetchToken(s.url, key));
        lacking.set(scope, t);
      }
      return t;
    },
    expired() {
      expired ??= (async () => {
        const [head, payload] = A.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
        const now = Math.floor(Date.now() / 1000);
        const { kid, key } = s.platform.identity.keys.signingKey();
        return new SignJWT({ ...payload, iat: now - 3600, exp: now - 1800 })
          .setProtectedHeader({ alg: String(head!['alg']), kid, typ: 'JWT' }).sign(key);
      })();
      return expired;
    },
    close: () => s.close(),
  };
}

/** `METHOD /url/:param` — how fixtures, the public list and test names refer to a route. */
export const routeKey = (r: { method: string; url: string }): string => `${r.method} ${r.url}`;

/** The path parameters of a route pattern, in order (`/a/:id/b/:key` → id, key; a trailing wildcard is `*`). */
export const paramsOf = (url: string): string[] => [...url.matchAll(/:([A-Za-z0-9_]+)|\*$/g)].map((m) => m[1] ?? '*');

/** Fills a route pattern's parameters, each percent-encoded as one path segment (the wildcard segment by segment). */
export function fillPath(url: string, params: Record<string, string>, encode: (v: string) => string = encodeURIComponent): string {
  return url.replace(/\*$/, () => {
    const v = params['*'];
    if (v === undefined) throw new Error(`no value for the wildcard of ${url}`);
    return v.split('/').map(encode).join('/');
  }).replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name} of ${url}`);
    return encode(v);
  });
}
