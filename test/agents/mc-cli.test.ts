/**
 * The public Insights Hub CLI (`mc` of @mindconnect/mindconnect-nodejs) runs its agent sequence against the test
 * server for both security profiles: create-agent, onboard, agent-token, configure-agent (config and map; test
 * with the shared secret agent), upload-timeseries from a CSV, agent-status, the diagnostic commands, offboard-agent; the values come back
 * through IoT Time Series v3 (Agent Management API v3, MindConnect API v3; the public MindConnect Node.js SDK (agent connectivity, mc CLI)).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcSession, type Mc } from '../helpers/mc.js';
import { type TestServer, useServer } from '../helpers/server.js';
import { json, makeAsset, TS } from '../timeseries/helpers.js';

const VARIABLES = [
  { name: 'temperature', dataType: 'DOUBLE', unit: 'C', qualityCode: true },
  { name: 'count', dataType: 'INT', unit: '' },
  { name: 'on', dataType: 'BOOLEAN', unit: '' },
  { name: 'seen', dataType: 'TIMESTAMP', unit: '' },
];

describe('mc agent sequence against the server', () => {
  const server = useServer();
  let s: TestServer;
  let mc: Mc;
  before(async () => {
    s = server();
    mc = mcSession('pk');
    const add = await mc.addServiceCredentials(s.key, s.url, s.tenant);
    assert.equal(add.code, 0, add.out);
  });
  after(() => mc.dispose());

  for (const profile of ['SHARED_SECRET', 'RSA_3072'] as const) {
    it(`runs create-agent … offboard-agent with ${profile} and the values come back`, async () => {
      const target = await makeAsset(s, `Pump${profile}`, { aspect: 'Machine', variables: VARIABLES });
      const dir = path.join(mc.home, profile);
      fs.mkdirSync(path.join(dir, '.mc'), { recursive: true });
      const config = path.join(dir, 'agent.json');
      const cert: string[] = [];
      if (profile === 'RSA_3072') {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072, privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'pem' } });
        fs.writeFileSync(path.join(dir, 'private.key'), privateKey);
        cert.push('--cert', path.join(dir, 'private.key'));
      }
      const ok = async (args: string[]) => {
        const r = await mc.run(args);
        assert.equal(r.code, 0, `mc ${args.join(' ')}\n${r.out}`);
        return r.out;
      };
      await ok(['create-agent', '--config', config, '--profile', profile, '--agentname', `Agent-${profile}`, '--passkey', 'pk', ...cert]);
      const agentId = (JSON.parse(fs.readFileSync(config, 'utf8')) as { content: { clientId: string } }).content.clientId;
      await ok(['onboard', '--config', config, ...cert]);
      assert.match(await ok(['agent-token', '--config', config, ...cert]), /eyJ/);
      if (profile === 'SHARED_SECRET') {
        await ok(['configure-agent', '--config', config, '--assetid', target]);
        await ok(['configure-agent', '--config', config, '--mode', 'test', '--count', '3']);
      } else {
        await ok(['configure-agent', '--passkey', 'pk', '--agentid', agentId, '--assetid', target]);
      }
      const csv = path.join(dir, 'data.csv');
      fs.writeFileSync(csv, ['timestamp,dataPointId,qualityCode,value',
        '2024-06-01T00:00:00.000Z,DP-temperature,0,20.5', '2024-06-01T00:00:00.000Z,DP-count,0,7',
        '2024-06-01T00:00:01.000Z,DP-temperature,1,21'].join('\n'));
      await ok(['upload-timeseries', '--config', config, '--file', csv, ...cert]);
      assert.match(await ok(['agent-status', '--config', config, '--passkey', 'pk', ...cert]), /ONLINE[\s\S]*ONBOARDED/);
      if (profile === 'SHARED_SECRET') {
        // Values of a data point the agent has not configured show in its diagnostic messages.
        await ok(['register-diagnostic', '--config', config, '--passkey', 'pk']);
        const ghost = path.join(dir, 'ghost.csv');
        fs.writeFileSync(ghost, 'timestamp,dataPointId,qualityCode,value\n2024-06-01T00:00:05.000Z,DP-ghost,0,1\n');
        await ok(['upload-timeseries', '--config', config, '--file', ghost, '--no-validation']);
        assert.match(await ok(['get-diagnostic', '--config', config, '--passkey', 'pk', '--json']), /DP-ghost is not in the data source configuration/);
        await ok(['unregister-diagnostic', '--config', config, '--passkey', 'pk']);
      }
      const res = await s.api(`${TS}/${target}/Machine?from=2024-05-31T23:59:59.000Z&to=2024-06-01T00:00:02.000Z`);
      assert.equal(res.status, 200);
      const records = await json(res) as Record<string, unknown>[];
      assert.deepEqual(records.map((r) => [r['_time'], r['temperature'], r['temperature_qc'], r['count']]), [
        ['2024-06-01T00:00:00.000Z', 20.5, 0, 7], ['2024-06-01T00:00:01.000Z', 21, 1, undefined]]);
      await ok(['offboard-agent', '--config', config, '--passkey', 'pk']);
      assert.match(await ok(['agent-status', '--config', config, '--passkey', 'pk', ...cert]), /NOT_ONBOARDED/);
    });
  }
});
