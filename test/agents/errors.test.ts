/**
 * Error paths of onboarding, agent tokens, mappings and the exchange over the wire (Agent Management API v3,
 * MindConnect API v3): an expired initial access token, a replayed, wrongly signed or wrongly addressed client
 * assertion, a rotated-out secret, an offboarded agent's token, another agent's configuration, a mapping type
 * mismatch and a duplicate, an exchange over 10 MB, a malformed multipart body and a batch with one bad item
 * (nothing of it stored); file items of the exchange (stored as IoT files of the agent's asset, a bad name refusing
 * the whole batch).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { testClock, type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset, TS } from '../timeseries/helpers.js';

const AGM = '/api/agentmanagement/v3';
const MC = '/api/mindconnect/v3';
const DAY = 86_400_000;
const VARIABLES = [{ name: 'temperature', dataType: 'DOUBLE', unit: 'C', qualityCode: true }, { name: 'count', dataType: 'INT', unit: '' }];
const CONFIG = { configurationId: 'CF1', dataSources: [{ name: 'DS1', dataPoints: [
  { id: 'DP-T', name: 'T', type: 'DOUBLE', unit: 'C' }, { id: 'DP-N', name: 'N', type: 'INT', unit: '' }, { id: 'DP-X', name: 'X', type: 'INT', unit: 'C' }] }] };

interface Onboarded { id: string; secret: string; registration: { registration_access_token: string; registration_client_uri: string } }

const exchangeBody = (items: string[]) => `${items.map((data) => `--m\nContent-Type:multipart/related;boundary=p\n\n--p\n`
  + 'Content-Type:application/vnd.siemens.mindsphere.meta+json\n\n{"type":"item","version":"1.0","payload":{"type":"standardTimeSeries",'
  + `"version":"1.0","details":{"configurationId":"CF1"}}}\n\n--p\nContent-Type:application/json\n\n${data}\n\n\r\n--p--\n`).join('')}--m--\n`;

describe('agents: error paths over the wire', () => {
  const clock = testClock();
  const server = useServer({}, { now: clock.now });
  let s: TestServer;
  let n = 0;
  before(() => { s = server(); });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token?: string | null) => {
    const res = await s.api(path, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }), headers,
      ...(token !== undefined ? { token } : {}) });
    return { status: res.status, body: await json(res) };
  };
  const newAgent = async () => {
    const assetId = await makeAsset(s, `ErrPump${n++}`, { aspect: 'Err', variables: VARIABLES });
    const a = await call('POST', `${AGM}/agents`, { name: `err-agent-${n}`, entityId: assetId, securityProfile: 'SHARED_SECRET' });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const c = await call('GET', `${AGM}/agents/${assetId}/boarding/configuration`);
    return { id: assetId, iat: c.body.content.iat as string };
  };
  const onboard = async (): Promise<Onboarded> => {
    const a = await newAgent();
    const r = await call('POST', `${AGM}/register`, {}, {}, a.iat);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: a.id, secret: r.body.client_secret, registration: r.body };
  };
  const assertion = (agent: { id: string }, secret: string, over: Record<string, unknown> = {}) => {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ schemas: ['urn:siemens:mindsphere:v1'], ten: s.tenant, jti: randomUUID(), ...over })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(agent.id).setSubject(agent.id).setAudience((over['aud'] as string[] | undefined) ?? ['southgate'])
      .setIssuedAt((over['iat'] as number | undefined) ?? now).setNotBefore(now).setExpirationTime(now + 3600).sign(new TextEncoder().encode(secret));
  };
  const token = async (jwt: string) => {
    const res = await fetch(`${s.url}${AGM}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt }).toString() });
    return { status: res.status, body: await json(res) };
  };
  const agentToken = async (o: Onboarded) => {
    const t = await token(await assertion(o, o.secret));
    assert.equal(t.status, 200, JSON.stringify(t.body));
    return t.body.access_token as string;
  };
  const configured = async () => {
    const o = await onboard();
    assert.equal((await call('PUT', `${AGM}/agents/${o.id}/dataSourceConfiguration`, CONFIG, { 'if-match': '0' })).status, 200);
    return o;
  };

  it('refuses an expired initial access token, and a fresh boarding configuration onboards', async () => {
    const a = await newAgent();
    clock.advance(7 * DAY + 1000);
    const r = await call('POST', `${AGM}/register`, {}, {}, a.iat);
    assert.equal(r.status, 401);
    assert.match(JSON.stringify(r.body), /initial access token has expired/);
    const fresh = await call('GET', `${AGM}/agents/${a.id}/boarding/configuration`);
    assert.notEqual(fresh.body.content.iat, a.iat);
    assert.equal((await call('POST', `${AGM}/register`, {}, {}, fresh.body.content.iat)).status, 201);
  });

  it('refuses a replayed assertion, a wrong signature and a wrong audience', async () => {
    const o = await onboard();
    const jwt = await assertion(o, o.secret);
    const first = await token(jwt);
    assert.equal(first.status, 200);
    assert.equal(first.body.expires_in, 3600);
    const again = await token(jwt);
    assert.equal(again.status, 401);
    assert.match(JSON.stringify(again.body), /replayed jti/);
    const forged = await token(await assertion(o, 'not-the-secret'));
    assert.equal(forged.status, 401);
    assert.match(JSON.stringify(forged.body), /signature does not verify/);
    const wrongAud = await token(await assertion(o, o.secret, { aud: ['elsewhere'] }));
    assert.equal(wrongAud.status, 401);
    assert.match(JSON.stringify(wrongAud.body), /aud claim/);
    const now = Math.floor(clock.now() / 1000);
    const future = await token(await assertion(o, o.secret, { iat: now + 600 }));
    assert.equal(future.status, 401);
    assert.match(JSON.stringify(future.body), /iat/);
    const long = await token(await new SignJWT({ ten: s.tenant, jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).setIssuer(o.id)
      .setSubject(o.id).setAudience('southgate').setIssuedAt(now).setExpirationTime(now + 2 * 86_400).sign(new TextEncoder().encode(o.secret)));
    assert.equal(long.status, 401);
  });

  it('refuses an RSA_3072 agent\'s assertion signed with another key or with HS256', async () => {
    const assetId = await makeAsset(s, `ErrRsa${n++}`, { aspect: 'Err', variables: VARIABLES });
    await call('POST', `${AGM}/agents`, { name: `err-rsa-${n}`, entityId: assetId, securityProfile: 'RSA_3072' });
    const iat = (await call('GET', `${AGM}/agents/${assetId}/boarding/configuration`)).body.content.iat as string;
    const mine = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const other = generateKeyPairSync('rsa', { modulusLength: 3072 });
    assert.equal((await call('POST', `${AGM}/register`, { jwks: { keys: [{ ...mine.publicKey.export({ format: 'jwk' }), kid: 'k1' }] } }, {}, iat)).status, 201);
    const signed = (key: typeof mine.privateKey) => {
      const now = Math.floor(clock.now() / 1000);
      return new SignJWT({ ten: s.tenant, jti: randomUUID() }).setProtectedHeader({ alg: 'RS384' }).setIssuer(assetId).setSubject(assetId)
        .setAudience('southgate').setIssuedAt(now).setExpirationTime(now + 3600).sign(key);
    };
    assert.equal((await token(await signed(mine.privateKey))).status, 200);
    const forged = await token(await signed(other.privateKey));
    assert.equal(forged.status, 401);
    assert.match(JSON.stringify(forged.body), /signature does not verify/);
    const hs = await token(await assertion({ id: assetId }, 'guess'));
    assert.equal(hs.status, 401);
    assert.match(JSON.stringify(hs.body), /RS384/);
  });

  it('a rotated-out secret stops working, the new one works; the onboarding token rotates again, a superseded one not', async () => {
    const o = await onboard();
    const uri = new URL(o.registration.registration_client_uri);
    const rotate = (registrationToken: string) => fetch(uri, { method: 'PUT', headers: { authorization: `Bearer ${registrationToken}`,
      'content-type': 'application/json' }, body: JSON.stringify({ client_id: o.id }) });
    const res = await rotate(o.registration.registration_access_token);
    assert.equal(res.status, 200);
    const rotated = await json(res);
    assert.equal(rotated.client_id, o.id);
    assert.notEqual(rotated.client_secret, o.secret);
    assert.equal((await token(await assertion(o, o.secret))).status, 401);
    assert.equal((await token(await assertion(o, rotated.client_secret))).status, 200);
    // The SDK's recovery: the first response's token rotates again (C), and again (D); then C's token is superseded.
    const c = await json(await rotate(o.registration.registration_access_token));
    assert.equal((await rotate(o.registration.registration_access_token)).status, 200);
    assert.equal((await rotate(c.registration_access_token)).status, 401);
    assert.equal((await rotate(rotated.registration_access_token)).status, 401);
  });

  it('an offboarded agent\'s token stops at once, and an agent reaches only its own configuration', async () => {
    const o = await onboard();
    const other = await onboard();
    const t = await agentToken(o);
    assert.equal((await call('GET', `${AGM}/agents/${o.id}/status`)).body.status, 'ONLINE');
    clock.advance(301_000);
    assert.equal((await call('GET', `${AGM}/agents/${o.id}/status`)).body.status, 'OFFLINE');
    assert.equal((await call('GET', `${AGM}/agents/${o.id}/dataSourceConfiguration`, undefined, {}, t)).status, 200);
    const foreign = await call('GET', `${AGM}/agents/${other.id}/dataSourceConfiguration`, undefined, {}, t);
    assert.equal(foreign.status, 403);
    assert.equal((await call('POST', `${AGM}/agents`, { name: 'x', entityId: o.id, securityProfile: 'SHARED_SECRET' }, {}, t)).status, 403);
    assert.equal((await call('POST', `${AGM}/agents/${o.id}/boarding/offboard`)).status, 200);
    const after = await call('GET', `${AGM}/agents/${o.id}/dataSourceConfiguration`, undefined, {}, t);
    assert.equal(after.status, 401);
    assert.equal((await token(await assertion(o, o.secret))).status, 401);
  });

  it('an agent goes with its asset: its tokens stop', async () => {
    const o = await onboard();
    const t = await agentToken(o);
    const a = await call('GET', `/api/assetmanagement/v3/assets/${o.id}`);
    assert.equal((await call('DELETE', `/api/assetmanagement/v3/assets/${o.id}`, undefined, { 'if-match': String(a.body.etag) })).status, 204);
    assert.equal((await call('GET', `${AGM}/agents/${o.id}`)).status, 404);
    assert.equal((await call('GET', `${AGM}/agents/${o.id}/dataSourceConfiguration`, undefined, {}, t)).status, 401);
  });

  it('refuses a mapping whose types or units do not match, and a duplicate with 409', async () => {
    const o = await configured();
    const m = (dataPointId: string, propertyName: string) =>
      call('POST', `${MC}/dataPointMappings`, { agentId: o.id, dataPointId, entityId: o.id, propertySetName: 'Err', propertyName });
    const mismatch = await m('DP-N', 'temperature');
    assert.equal(mismatch.status, 400);
    assert.match(JSON.stringify(mismatch.body), /DP-N is INT but variable temperature is DOUBLE/);
    const unit = await m('DP-X', 'count');
    assert.equal(unit.status, 400);
    assert.match(JSON.stringify(unit.body), /units must match/);
    assert.equal((await m('DP-T', 'temperature')).status, 201);
    assert.equal((await m('DP-T', 'temperature')).status, 409);
    const list = await call('GET', `${MC}/dataPointMappings?filter=${encodeURIComponent(JSON.stringify({ agentId: o.id }))}`);
    assert.equal(list.body.content.length, 1);
    assert.deepEqual(list.body.content[0].validity, { status: 'VALID', reasons: [] });
  });

  it('refuses an exchange over 10 MB, a malformed body, and a batch with one bad item whole', async () => {
    const o = await configured();
    await call('POST', `${MC}/dataPointMappings`, { agentId: o.id, dataPointId: 'DP-T', entityId: o.id, propertySetName: 'Err', propertyName: 'temperature' });
    await call('POST', `${MC}/dataPointMappings`, { agentId: o.id, dataPointId: 'DP-N', entityId: o.id, propertySetName: 'Err', propertyName: 'count' });
    const t = await agentToken(o);
    const post = (body: string | Buffer) => fetch(`${s.url}${MC}/exchange`, { method: 'POST', body,
      headers: { authorization: `Bearer ${t}`, 'content-type': 'multipart/mixed; boundary=m' } });
    const big = await post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x61));
    assert.equal(big.status, 413);
    const malformed = await post('--m\nContent-Type:multipart/related;boundary=p\n\n--p\n');
    assert.equal(malformed.status, 400);
    assert.match(await malformed.text(), /closing delimiter/);
    const good = '[{"timestamp":"2024-07-01T00:00:00.000Z","values":[{"dataPointId":"DP-T","qualityCode":"0","value":"20.5"}]}]';
    const bad = '[{"timestamp":"2024-07-01T00:00:01.000Z","values":[{"dataPointId":"DP-N","qualityCode":"0","value":"1.5"}]}]';
    const refused = await post(exchangeBody([good, bad]));
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /batch 1 values\[0\].*1\.5.* is no INT \(data point DP-N\)/);
    const range = 'from=2024-06-30T23:59:59.000Z&to=2024-07-01T00:00:02.000Z';
    assert.deepEqual((await call('GET', `${TS}/${o.id}/Err?${range}`)).body, []);
    const stored = await post(exchangeBody([good, bad.replace('"1.5"', '"2"')]));
    assert.equal(stored.status, 200, await stored.clone().text());
    const records = (await call('GET', `${TS}/${o.id}/Err?${range}`)).body as Record<string, unknown>[];
    assert.deepEqual(records.map((r) => [r['_time'], r['temperature'], r['temperature_qc'], r['count']]),
      [['2024-07-01T00:00:00.000Z', 20.5, 0, undefined], ['2024-07-01T00:00:01.000Z', undefined, undefined, 2]]);
  });

  it('stores a file item of an exchange as an IoT file of the agent, and a bad file name refuses the whole batch', async () => {
    const o = await configured();
    await call('POST', `${MC}/dataPointMappings`, { agentId: o.id, dataPointId: 'DP-T', entityId: o.id, propertySetName: 'Err', propertyName: 'temperature' });
    const t = await agentToken(o);
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const fileItem = (name: string) => '--m\nContent-Type:multipart/related;boundary=p\n\n--p\n'
      + 'Content-Type:application/vnd.siemens.mindsphere.meta+json\n\n{"type":"item","version":"1.0","payload":{"type":"file",'
      + `"version":"1.0","details":{"fileName":"${name}","creationDate":"2024-07-02T10:00:00.000Z","fileType":"application/x-dump"}}}\n\n`
      + `--p\nContent-Type:application/octet-stream\n\n${bytes.toString('latin1')}\n--p--\n`;
    const series = exchangeBody(['[{"timestamp":"2024-07-02T00:00:00.000Z","values":[{"dataPointId":"DP-T","qualityCode":"0","value":"7.5"}]}]']);
    const post = (body: string) => fetch(`${s.url}${MC}/exchange`, { method: 'POST', body: Buffer.from(body, 'latin1'),
      headers: { authorization: `Bearer ${t}`, 'content-type': 'multipart/mixed; boundary=m' } });
    const range = 'from=2024-07-01T23:59:59.000Z&to=2024-07-02T00:00:01.000Z';
    // series item first, then a file item whose name climbs out of its folder: nothing is stored
    const refused = await post(series.replace(/--m--\n$/, '') + fileItem('logs/../../x.bin') + '--m--\n');
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /item 1 meta\.payload\.details\.fileName/);
    assert.deepEqual((await call('GET', `${TS}/${o.id}/Err?${range}`)).body, []);
    const stored = await post(series.replace(/--m--\n$/, '') + fileItem('logs/dump.bin') + '--m--\n');
    assert.equal(stored.status, 200, await stored.clone().text());
    const file = await s.api(`/api/iotfile/v3/files/${o.id}/logs/dump.bin`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'application/x-dump');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
    assert.deepEqual(((await call('GET', `${TS}/${o.id}/Err?${range}`)).body as Record<string, unknown>[]).map((r) => r['temperature']), [7.5]);
  });
});
