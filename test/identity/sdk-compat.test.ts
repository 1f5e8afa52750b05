/**
 * The public Insights Hub TypeScript SDK and CLI against our token endpoints (the public MindConnect Node.js SDK (CredentialAuth, TokenManagerAuth, running it against a local server)):
 * service credentials, app credentials through the technical token manager, and `mc stk` from the CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CredentialAuth, MindSphereSdk, TokenManagerAuth } from '@mindconnect/mindconnect-nodejs';
import { mcSession } from '../helpers/mc.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[v];
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('public SDK and CLI', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  it('service credentials: CredentialAuth gets a token that verifies against /token_keys, and calls an API', async () => {
    const basicAuth = `Basic ${b64(`${s.key.clientId}:${s.key.clientSecret}`)}`;
    const auth = new CredentialAuth(s.url, basicAuth, s.tenant);
    const token = await auth.GetToken();
    assert.ok(token.length > 200);
    const sdk = new MindSphereSdk({ gateway: s.url, basicAuth, tenant: s.tenant });
    const info = await sdk.GetTenantManagementClient().GetTenantInfo();
    assert.equal(info.name, s.tenant);
  });

  it('app credentials: TokenManagerAuth through the technical token manager', async () => {
    const app = await s.platform.identity.service.createKey(s.tenant, 'fleetapp', { appName: 'fleetapp', appVersion: '1.0.0' });
    const basicAuth = `Basic ${b64(`${app.clientId}:${app.clientSecret}`)}`;
    const auth = new TokenManagerAuth(s.url, basicAuth, s.tenant, s.tenant, 'fleetapp', '1.0.0');
    assert.ok((await auth.GetToken()).length > 200);
    const sdk = new MindSphereSdk({ gateway: s.url, basicAuth, tenant: s.tenant, usertenant: s.tenant, appName: 'fleetapp', appVersion: '1.0.0' });
    const info = await sdk.GetTenantManagementClient().GetTenantInfo();
    assert.equal(info.name, s.tenant);
  });

  it('the technical token manager refuses service credentials, other apps and foreign tenants', async () => {
    const app = await s.platform.identity.service.createKey(s.tenant, 'other', { appName: 'other', appVersion: '2.0.0' });
    const post = (key: { clientId: string; clientSecret: string }, body: Record<string, string>) =>
      fetch(`${s.url}/api/technicaltokenmanager/v3/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-space-auth-key': `Basic ${b64(`${key.clientId}:${key.clientSecret}`)}` },
        body: JSON.stringify(body),
      });
    const good = { appName: 'other', appVersion: '2.0.0', hostTenant: s.tenant, userTenant: s.tenant };
    assert.equal((await post(app, good)).status, 200);
    assert.equal((await post(s.key, good)).status, 403);
    assert.equal((await post(app, { ...good, appVersion: '9' })).status, 403);
    const foreign = await post(app, { ...good, userTenant: 'elsewhere' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: string }).error, 'access_denied');
    const missing = await post(app, { appName: 'other', appVersion: '2.0.0', hostTenant: s.tenant } as Record<string, string>);
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error_description: string }).error_description, /userTenant/);
    const noKey = await fetch(`${s.url}/api/technicaltokenmanager/v3/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good),
    });
    assert.equal(noKey.status, 401);
    const auth = { 'content-type': 'application/json', 'x-space-auth-key': `Basic ${b64(`${app.clientId}:${app.clientSecret}`)}` };
    const malformed = await fetch(`${s.url}/api/technicaltokenmanager/v3/oauth/token`, { method: 'POST', headers: auth, body: '{"appName":' });
    assert.equal(malformed.status, 400);
    assert.match(((await malformed.json()) as { error_description: string }).error_description, /JSON/);
    const oversized = await fetch(`${s.url}/api/technicaltokenmanager/v3/oauth/token`, {
      method: 'POST', headers: auth, body: JSON.stringify({ ...good, pad: 'x'.repeat(100 * 1024) }),
    });
    assert.equal(oversized.status, 413);
    assert.equal(((await oversized.json()) as { error: string }).error, 'invalid_request');
  });

  it('the mc CLI stores service credentials and prints a service token (mc sc, mc stk)', async () => {
    const mc = mcSession('passkey-for-tests');
    try {
      const added = await mc.addServiceCredentials(s.key, s.url, s.tenant);
      assert.equal(added.code, 0, added.out);
      const { out: stdout } = await mc.run(['stk', '--passkey', 'passkey-for-tests']);
      const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(stdout)?.[0];
      assert.ok(jwt, `no token in: ${stdout}`);
      const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(payload['ten'], s.tenant);
    } finally {
      mc.dispose();
    }
  });
});
