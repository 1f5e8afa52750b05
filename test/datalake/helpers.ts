/** Shared helpers of the data lake tests: JSON calls under /api/datalake/v3, raw uploads, hashes, a fake clock. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { TestServer } from '../helpers/server.js';

export const DL = '/api/datalake/v3';

export interface Json {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
  text: string;
}

export async function dl(s: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {},
  token?: string): Promise<Json> {
  const res = await s.api(`${DL}${path}`, { method, headers, ...(token ? { token } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7) & 0xff;
  return b;
}

export async function signedUrl(s: TestServer, kind: 'Upload' | 'Download', path: string, extra: Record<string, unknown> = {},
  token?: string): Promise<string> {
  const r = await dl(s, 'POST', `/generate${kind}ObjectUrls`, { paths: [{ path }], ...extra }, {}, token);
  if (r.status !== 200) throw new Error(`generate${kind}ObjectUrls: ${r.status} ${r.text}`);
  return r.body.objectUrls[0].signedUrl as string;
}

/** Uploads through the gateway (PUT /objects/{path}); returns the parsed answer. */
export async function putObject(s: TestServer, path: string, data: Buffer | string, token?: string): Promise<Json> {
  const res = await s.api(`${DL}/objects/${path.split('/').map(encodeURIComponent).join('/')}`, {
    method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' }, ...(token ? { token } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text };
}

/** A raw HTTP request whose body is written by `write` (which may stop early or cut the connection). */
export function rawRequest(url: string, options: http.RequestOptions, write: (req: http.ClientRequest) => void):
  Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, options, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    write(req);
  });
}

/** Waits (bounded) until `check` holds: for effects the server finishes after the client has gone. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not reached: ${what}`);
}

export class FakeClock {
  t = Date.parse('2026-01-01T00:00:00.000Z');
  now = () => this.t;
  advance(ms: number): void { this.t += ms; }
}
