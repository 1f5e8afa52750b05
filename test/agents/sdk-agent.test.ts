/**
 * The public SDK's MindConnectAgent against the test server, both profiles: onboard, rotate its secret or key,
 * take a token, configure itself for an asset (data source configuration and mappings), post data single and
 * bulk, and use its token for asset reads; the values come back through IoT Time Series v3
 * (the public MindConnect Node.js SDK (agent connectivity); the SDK's own agent specs do the same against Insights Hub).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { MindConnectAgent } from '@mindconnect/mindconnect-nodejs';
import { tempDir, type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset, TS } from '../timeseries/helpers.js';

const AGM = '/api/agentmanagement/v3';
const VARIABLES = [{ name: 'temperature', dataType: 'DOUBLE', unit: 'C', qualityCode: true }, { name: 'count', dataType: 'INT', unit: '' }];

describe('public SDK MindConnectAgent against the server', () => {
  const server = useServer();
  let s: TestServer;
  before(() => { s = server(); });

  for (const profile of ['SHARED_SECRET', 'RSA_3072'] as const) {
    it(`onboards, rotates, configures itself, posts data and reads assets with ${profile}`, async () => {
      const target = await makeAsset(s, `SdkAgent${profile}`, { aspect: 'Sdk', variables: VARIABLES });
      const self = await makeAsset(s, `SdkAgentSelf${profile}`, { aspect: 'Sdk', variables: VARIABLES });
      const created = await s.api(`${AGM}/agents`, { method: 'POST', body: JSON.stringify({ name: `sdk-${profile}`, entityId: self, securityProfile: profile }) });
      assert.equal(created.status, 201);
      const config = await json(await s.api(`${AGM}/agents/${self}/boarding/configuration`));
      const agent = new MindConnectAgent(config, undefined, tempDir('ironbridge-sdk-agent-'));
      if (profile === 'RSA_3072') {
        agent.SetupAgentCertificate(generateKeyPairSync('rsa', { modulusLength: 3072, privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey);
      }
      assert.equal(await agent.OnBoard(), 'ONBOARDED');
      const before = (agent as unknown as { _configuration: { response: { client_secret?: string; registration_access_token: string } } })._configuration.response;
      const first = { ...before };
      assert.equal(await (agent as unknown as { RotateKey(): Promise<boolean> }).RotateKey(), true);
      const after = (agent as unknown as { _configuration: { response: { client_secret?: string; registration_access_token: string } } })._configuration.response;
      assert.notEqual(after.registration_access_token, first.registration_access_token);
      if (profile === 'SHARED_SECRET') assert.notEqual(after.client_secret, first.client_secret);
      assert.match(await agent.GetAgentToken(), /^eyJ/);
      await agent.ConfigureAgentForAssetId(target);
      assert.equal(agent.HasDataSourceConfiguration(), true);
      assert.equal((await agent.GetDataMappings()).length, 2);
      assert.equal(await agent.PostData([{ dataPointId: 'DP-temperature', qualityCode: '0', value: '22.5' }], new Date('2024-08-01T00:00:00.000Z')), true);
      assert.equal(await agent.BulkPostData([{ timestamp: '2024-08-01T00:00:01.000Z', values: [{ dataPointId: 'DP-count', qualityCode: '0', value: '3' },
        { dataPointId: 'DP-temperature', qualityCode: '1', value: '23' }] }]), true);
      const records = await json(await s.api(`${TS}/${target}/Sdk?from=2024-07-31T23:59:59.000Z&to=2024-08-01T00:00:02.000Z`)) as Record<string, unknown>[];
      assert.deepEqual(records.map((r) => [r['_time'], r['temperature'], r['temperature_qc'], r['count']]),
        [['2024-08-01T00:00:00.000Z', 22.5, 0, undefined], ['2024-08-01T00:00:01.000Z', 23, 1, 3]]);
      const asset = await agent.Sdk().GetAssetManagementClient().GetAsset(target);
      assert.equal(asset.assetId, target);
    });
  }
});
