/**
 * Agents over the wire (Agent Management API v3): create with either profile for an existing asset (its etag
 * unchanged), unique names, one agent per asset, Spring pages with sort and the JSON filter, If-Match on PUT and
 * DELETE, boarding configuration and status through onboarding, online status, the registration response and
 * the token key in the layout the SDK needs.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { importSPKI, jwtVerify } from 'jose';
import { type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset } from '../timeseries/helpers.js';

const AGM = '/api/agentmanagement/v3';

describe('agents: Agent Management v3 over the wire', () => {
  const server = useServer();
  let s: TestServer;
  let n = 0;
  before(() => { s = server(); });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token?: string | null) => {
    const res = await s.api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers, ...(token !== undefined ? { token } : {}) });
    return { status: res.status, body: await json(res), etag: res.headers.get('etag') };
  };
  const asset = () => makeAsset(s, `AgentPump${n++}`, { aspect: 'Agm' });

  it('creates agents for assets, leaves the asset as it was, refuses bad fields, taken names and a second agent', async () => {
    const id = await asset();
    const before = await call('GET', `/api/assetmanagement/v3/assets/${id}`);
    const created = await call('POST', `${AGM}/agents`, { name: 'agm-one', entityId: id, securityProfile: 'RSA_3072' });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { id, eTag: '0', name: 'agm-one', securityProfile: 'RSA_3072', entityId: id });
    assert.equal((await call('GET', `/api/assetmanagement/v3/assets/${id}`)).body.etag, before.body.etag);
    const bad = await call('POST', `${AGM}/agents`, { name: 'x', entityId: id, securityProfile: 'RSA_2048' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /securityProfile/);
    const none = await call('POST', `${AGM}/agents`, { name: 'x', entityId: 'f'.repeat(32), securityProfile: 'SHARED_SECRET' });
    assert.equal(none.status, 400);
    assert.match(JSON.stringify(none.body), /entityId/);
    assert.equal((await call('POST', `${AGM}/agents`, { name: 'agm-one', entityId: await asset(), securityProfile: 'SHARED_SECRET' })).status, 409);
    assert.equal((await call('POST', `${AGM}/agents`, { name: 'agm-two', entityId: id, securityProfile: 'SHARED_SECRET' })).status, 409);
  });

  it('lists Spring pages with sort and filter; PUT and DELETE need the current If-Match', async () => {
    for (const name of ['list-b', 'list-a', 'list-c']) {
      assert.equal((await call('POST', `${AGM}/agents`, { name, entityId: await asset(), securityProfile: 'SHARED_SECRET' })).status, 201);
    }
    const filter = encodeURIComponent(JSON.stringify({ name: { startsWith: 'list-' } }));
    const page = await call('GET', `${AGM}/agents?filter=${filter}&sort=name,DESC&size=2&page=0`);
    assert.deepEqual(page.body.content.map((a: { name: string }) => a.name), ['list-c', 'list-b']);
    assert.equal(page.body.totalElements, 3);
    assert.equal(page.body.totalPages, 2);
    assert.equal(page.body.last, false);
    assert.equal(page.body.sort[0].direction, 'DESC');
    const next = await call('GET', `${AGM}/agents?filter=${filter}&sort=name,DESC&size=2&page=1`);
    assert.deepEqual(next.body.content.map((a: { name: string }) => a.name), ['list-a']);
    // Paging's edges: size 0 is the default 10, a size over 2000 is served as 2000, a page past the end is empty,
    // a page that is no whole number is refused naming it (the one page rule of every list).
    assert.equal((await call('GET', `${AGM}/agents?filter=${filter}&size=0`)).body.size, 10);
    assert.equal((await call('GET', `${AGM}/agents?filter=${filter}&size=5000`)).body.size, 2000);
    assert.deepEqual((await call('GET', `${AGM}/agents?filter=${filter}&size=2&page=7`)).body.content, []);
    for (const bad of ['-1', 'x', '1.5']) {
      const r = await call('GET', `${AGM}/agents?page=${bad}`);
      assert.equal(r.status, 400);
      assert.match(JSON.stringify(r.body), /page/);
    }
    assert.equal((await call('GET', `${AGM}/agents?size=x`)).status, 400);
    const id = next.body.content[0].id as string;
    assert.equal((await call('PUT', `${AGM}/agents/${id}`, { name: 'list-z' })).status, 428);
    assert.equal((await call('PUT', `${AGM}/agents/${id}`, { name: 'list-z' }, { 'if-match': '5' })).status, 412);
    const put = await call('PUT', `${AGM}/agents/${id}`, { name: 'list-z', securityProfile: 'SHARED_SECRET' }, { 'if-match': '0' });
    assert.equal(put.status, 200);
    assert.equal(put.body.name, 'list-z');
    assert.equal(put.body.eTag, '1');
    assert.equal((await call('DELETE', `${AGM}/agents/${id}`, undefined, { 'if-match': '0' })).status, 412);
    assert.equal((await call('DELETE', `${AGM}/agents/${id}`, undefined, { 'if-match': '1' })).status, 204);
    assert.equal((await call('GET', `${AGM}/agents/${id}`)).status, 404);
  });

  it('boards: NOT_ONBOARDED, ONBOARDING with a configuration, ONBOARDED after register; the answers the SDK needs', async () => {
    const id = await asset();
    await call('POST', `${AGM}/agents`, { name: 'board-rsa', entityId: id, securityProfile: 'RSA_3072' });
    assert.equal((await call('GET', `${AGM}/agents/${id}/boarding/status`)).body.status, 'NOT_ONBOARDED');
    const config = (await call('GET', `${AGM}/agents/${id}/boarding/configuration`)).body;
    assert.deepEqual({ ...config.content, iat: typeof config.content.iat }, { baseUrl: s.platform.publicUrl(), iat: 'string', clientCredentialProfile: ['RSA_3072'],
      clientId: id, tenant: s.tenant });
    assert.equal((await call('GET', `${AGM}/agents/${id}/boarding/status`)).body.status, 'ONBOARDING');
    const small = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const weak = await call('POST', `${AGM}/register`, { jwks: { keys: [{ ...small, kid: 'k' }] } }, {}, config.content.iat);
    assert.equal(weak.status, 400);
    assert.match(JSON.stringify(weak.body), /3072/);
    const key = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ format: 'jwk' });
    const reg = await call('POST', `${AGM}/register`, { jwks: { keys: [{ ...key, kid: 'key-1' }] } }, {}, config.content.iat);
    assert.equal(reg.status, 201);
    assert.equal(reg.body.client_id, id);
    assert.equal(reg.body.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(reg.body.client_secret, undefined);
    assert.equal(typeof reg.body.client_secret_expires_at, 'number');
    assert.equal(reg.body.registration_client_uri, `${s.platform.publicUrl()}${AGM}/register/${id}`);
    assert.equal((await call('GET', `${AGM}/agents/${id}/boarding/status`)).body.status, 'ONBOARDED');
    assert.equal((await call('POST', `${AGM}/register`, {}, {}, config.content.iat)).status, 401);
    assert.equal((await call('GET', `${AGM}/agents/${id}/status`)).body.status, 'OFFLINE');
    assert.deepEqual((await call('POST', `${AGM}/agents/${id}/boarding/offboard`)).body, { status: 'NOT_ONBOARDED' });
    const renewed = (await call('GET', `${AGM}/agents/${id}/boarding/configuration`)).body;
    assert.notEqual(renewed.content.iat, config.content.iat);
    assert.equal((await call('POST', `${AGM}/register`, { jwks: { keys: [{ ...key, kid: 'key-2' }] } }, {}, renewed.content.iat)).status, 201);
  });

  it('activates diagnostics for at most 5 agents of a tenant, by activation or agent id', async () => {
    const MC = '/api/mindconnect/v3';
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await asset();
      await call('POST', `${AGM}/agents`, { name: `diag-${i}`, entityId: id, securityProfile: 'SHARED_SECRET' });
      ids.push(id);
    }
    for (const id of ids.slice(0, 5)) assert.equal((await call('POST', `${MC}/diagnosticActivations`, { agentId: id })).status, 201);
    const sixth = await call('POST', `${MC}/diagnosticActivations`, { agentId: ids[5] });
    assert.equal(sixth.status, 409);
    assert.match(JSON.stringify(sixth.body), /agent limitation/);
    const byAgent = await call('GET', `${MC}/diagnosticActivations/${ids[0]}`);
    assert.deepEqual({ agentId: byAgent.body.agentId, status: byAgent.body.status }, { agentId: ids[0], status: 'ACTIVE' });
    assert.equal((await call('PUT', `${MC}/diagnosticActivations/${byAgent.body.id}`, { status: 'INACTIVE' })).body.status, 'INACTIVE');
    assert.deepEqual((await call('GET', `${MC}/diagnosticActivations/${ids[0]}/messages`)).body.content, []);
    assert.equal((await call('DELETE', `${MC}/diagnosticActivations/${ids[0]}`)).status, 204);
    assert.equal((await call('POST', `${MC}/diagnosticActivations`, { agentId: ids[5] })).status, 201);
  });

  it('serves the token key without line breaks; it verifies identity\'s tokens', async () => {
    const k = (await call('GET', `${AGM}/oauth/token_key`, undefined, {}, null)).body;
    assert.equal(k.alg, 'RS256');
    assert.doesNotMatch(k.value, /\n/);
    const pem = k.value.replace('-----BEGIN PUBLIC KEY-----', '-----BEGIN PUBLIC KEY-----\n').replace('-----END PUBLIC KEY-----', '\n-----END PUBLIC KEY-----');
    await jwtVerify(await s.token(), await importSPKI(pem, 'RS256'));
  });
});
