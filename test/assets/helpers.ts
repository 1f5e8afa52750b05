/**
 * Shared helpers of the asset tests: JSON calls against /api/assetmanagement/v3 of a test server, given as the
 * server or as the getter useServer() returns.
 */
import type { TestServer } from '../helpers/server.js';

export type ServerRef = TestServer | (() => TestServer);
const server = (s: ServerRef): TestServer => (typeof s === 'function' ? s() : s);

export const AM = '/api/assetmanagement/v3';

export interface Json {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export async function call(s: ServerRef, method: string, path: string, body?: unknown,
  headers: Record<string, string> = {}, token?: string): Promise<Json> {
  const res = await server(s).api(`${AM}${path}`, {
    method, headers, ...(token ? { token } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export const aspectType = (name: string, category: 'static' | 'dynamic', variables: unknown[]) =>
  ({ name, category, scope: 'private', description: `${name} test aspect`, variables });

export const dbl = (name: string, extra: Record<string, unknown> = {}) =>
  ({ name, dataType: 'DOUBLE', unit: 'x', searchable: false, qualityCode: false, ...extra });

export async function rootId(s: ServerRef): Promise<string> {
  const r = await call(s, 'GET', '/assets/root');
  if (r.status !== 200) throw new Error(`root: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.assetId as string;
}

/** Creates an asset and returns its body; throws with the error body otherwise. */
export async function createAsset(s: ServerRef, name: string, typeId: string, parentId: string,
  extra: Record<string, unknown> = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await call(s, 'POST', '/assets', { name, typeId, parentId, ...extra });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Asserts an Insights Hub error body: the code and a message matching `message`, with a logref. */
export function assertError(r: Json, code: string, message: RegExp): void {
  const e = r.body?.errors?.[0];
  if (!e || e.code !== code || !message.test(e.message) || !e.logref) {
    throw new Error(`expected ${code} ${message} but got ${r.status} ${JSON.stringify(r.body)}`);
  }
}
