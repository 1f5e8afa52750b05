/**
 * The public SDK's MindConnectAgent posting what agents send besides time series, with its own agent token: events
 * (PostEvent, through Event Management v3) and files (UploadFile, through IoT File v3, single and chunked), read back
 * by the tenant through the same APIs; and the rotation sequence of the SDK's recovery spec (rotate with the first
 * registration token again and again, a superseded one refused)
 * (the public MindConnect Node.js SDK (agent connectivity, events, file upload, key rotation and recovery)).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { MindConnectAgent } from '@mindconnect/mindconnect-nodejs';
import { tempDir, type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset } from '../timeseries/helpers.js';

const AGM = '/api/agentmanagement/v3';

describe('public SDK MindConnectAgent posts events and files', () => {
  const server = useServer();
  let s: TestServer;
  let agent: MindConnectAgent;
  let self: string;
  let dir: string;
  before(async () => {
    s = server();
    self = await makeAsset(s, 'SdkEventsFiles', { aspect: 'Sdk', variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] });
    const created = await s.api(`${AGM}/agents`, { method: 'POST', body: JSON.stringify({ name: 'sdk-events-files', entityId: self, securityProfile: 'SHARED_SECRET' }) });
    assert.equal(created.status, 201, await created.text());
    dir = tempDir('ironbridge-sdk-agent-');
    agent = new MindConnectAgent(await json(await s.api(`${AGM}/agents/${self}/boarding/configuration`)), undefined, dir);
    assert.equal(await agent.OnBoard(), 'ONBOARDED');
  });

  it('PostEvent validates and stores a basic event of its own asset; the tenant reads it back', async () => {
    const event = { entityId: self, sourceType: 'Agent', sourceId: 'application', source: 'Meowz', severity: 20,
      description: 'pump pressure high', timestamp: '2024-09-01T10:00:00.000Z' };
    assert.equal(await agent.PostEvent(event), true);
    const list = await json(await s.api(`/api/eventmanagement/v3/events?filter=${encodeURIComponent(JSON.stringify({ entityId: self }))}`)) as
      { _embedded?: { events?: Record<string, unknown>[] } };
    const found = list._embedded?.events ?? [];
    assert.equal(found.length, 1, JSON.stringify(list));
    assert.equal(found[0]!['description'], 'pump pressure high');
    assert.equal(found[0]!['severity'], 20);
    assert.equal(found[0]!['timestamp'], '2024-09-01T10:00:00.000Z');
  });

  it('UploadFile stores a small file and a chunked 9 MB file byte for byte under the agent\'s entity', async () => {
    const small = path.join(dir, 'notes.txt');
    fs.writeFileSync(small, 'line one\nline two\n');
    await agent.UploadFile(self, 'logs/notes.txt', small, { type: 'text/plain', description: 'shift notes' });
    const big = path.join(dir, 'big.bin');
    const bytes = randomBytes(9 * 1024 * 1024 + 17);
    fs.writeFileSync(big, bytes);
    await agent.UploadFile(self, 'dumps/big.bin', big, { chunk: true, retry: 2 });
    const readBack = async (p: string) => Buffer.from(await (await s.api(`/api/iotfile/v3/files/${self}/${p}`)).arrayBuffer());
    assert.equal((await readBack('logs/notes.txt')).toString(), 'line one\nline two\n');
    const got = await readBack('dumps/big.bin');
    assert.equal(got.length, bytes.length);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
  });

  it('accepts repeated rotations with the first registration token and refuses a superseded one (the SDK recovery spec)', async () => {
    type Response = { registration_access_token: string; registration_client_uri: string; client_id: string; client_secret?: string };
    const a = (agent as unknown as { _configuration: { response: Response } })._configuration.response;
    const rotate = (r: Response) => fetch(r.registration_client_uri, { method: 'PUT',
      headers: { authorization: `Bearer ${r.registration_access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: r.client_id }) });
    const b = await rotate(a);
    assert.equal(b.status, 200, await b.clone().text());
    const c = await rotate(a);
    assert.equal(c.status, 200, await c.clone().text());
    const cBody = await c.json() as Response;
    const d = await rotate(a);
    assert.equal(d.status, 200);
    const dBody = await d.json() as Response;
    const refused = await rotate(cBody);
    assert.equal(refused.status, 401, await refused.text());
    // the agent goes on with the newest credentials (a fresh assertion signed with D's secret); A's secret is gone
    const state = agent as unknown as { _configuration: { response: Response }; _accessToken?: unknown };
    state._configuration.response = { ...a, ...dBody };
    state._accessToken = undefined;
    assert.match(await agent.GetAgentToken(), /^eyJ/);
    state._configuration.response = a;
    state._accessToken = undefined;
    await assert.rejects(agent.GetAgentToken());
  });
});
