/** Test helpers of the events and IoT file suites: an asset of the server's first tenant, the SDK on its key. */
import { MindSphereSdk } from '@mindconnect/mindconnect-nodejs';
import type { TestServer } from '../helpers/server.js';

for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[v];

const AM = '/api/assetmanagement/v3';

export function sdkOf(s: TestServer): MindSphereSdk {
  return new MindSphereSdk({ tenant: s.tenant, gateway: s.url,
    basicAuth: `Basic ${Buffer.from(`${s.key.clientId}:${s.key.clientSecret}`).toString('base64')}` });
}

let n = 0;
/** A new asset of the first tenant (of a type made for it); returns its id. */
export async function makeAsset(s: TestServer, token?: string): Promise<string> {
  const auth = token ? { token } : {};
  const tenant = token ? undefined : s.tenant;
  const me = tenant ?? String((await (await s.api(`${AM}/assets/root`, auth)).json() as { tenantId: string }).tenantId);
  const name = `Pump${n++}`;
  const type = await s.api(`${AM}/assettypes/${me}.${name}`, { ...auth, method: 'PUT',
    body: JSON.stringify({ name, parentTypeId: 'core.basicasset', instantiable: true }) });
  if (type.status !== 201 && type.status !== 200) throw new Error(`asset type: ${type.status} ${await type.text()}`);
  const root = await (await s.api(`${AM}/assets/root`, auth)).json() as { assetId: string };
  const made = await s.api(`${AM}/assets`, { ...auth, method: 'POST', body: JSON.stringify({ name, typeId: `${me}.${name}`, parentId: root.assetId }) });
  if (made.status !== 201) throw new Error(`asset: ${made.status} ${await made.text()}`);
  return ((await made.json()) as { assetId: string }).assetId;
}

/** A JSON call: status, body and ETag header. */
export async function call(s: TestServer, path: string, init: RequestInit & { token?: string | null } = {}) {
  const r = await s.api(path, init);
  const text = await r.text();
  return { status: r.status, etag: r.headers.get('etag'), body: text ? JSON.parse(text) : undefined };
}
