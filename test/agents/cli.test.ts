/**
 * `ironbridge agent create|list|show|offboard|delete` on a running server's data directory: what the command
 * makes, the server serves (the boarding configuration onboards over HTTP).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runCli, type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset } from '../timeseries/helpers.js';

describe('ironbridge agent commands', () => {
  const server = useServer();
  let s: TestServer;
  before(() => { s = server(); });
  const cli = async (args: string[]) => {
    const r = await runCli(['agent', ...args, '--data-dir', s.config.dataDir, '--tenant', s.tenant, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('creates, lists, shows, offboards and deletes an agent the server serves', async () => {
    const asset = await makeAsset(s, 'CliPump', { aspect: 'Cli', variables: [{ name: 't', dataType: 'DOUBLE', unit: '' }] });
    const created = await cli(['create', '--asset', asset, '--name', 'cli-pump']);
    assert.equal(created.id, asset);
    assert.deepEqual((await cli(['list'])).map((a: { name: string }) => a.name), ['cli-pump']);
    const boarding = await cli(['show', '--id', asset, '--boarding']);
    assert.equal(boarding.content.clientId, asset);
    const reg = await fetch(`${s.url}/api/agentmanagement/v3/register`, { method: 'POST', body: '{}',
      headers: { authorization: `Bearer ${boarding.content.iat}`, 'content-type': 'application/json' } });
    assert.equal(reg.status, 201, JSON.stringify(await json(reg.clone())));
    assert.equal((await cli(['show', '--id', asset])).boarding, 'ONBOARDED');
    assert.equal((await cli(['offboard', '--id', asset])).status, 'NOT_ONBOARDED');
    await cli(['delete', '--id', asset]);
    assert.equal((await s.api(`/api/agentmanagement/v3/agents/${asset}`)).status, 404);
    const missing = await runCli(['agent', 'show', '--id', asset, '--data-dir', s.config.dataDir, '--tenant', s.tenant]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`agent ${asset}`));
  });
});
