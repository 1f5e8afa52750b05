/**
 * `ironbridge backup` while the server takes writes, and `ironbridge restore`: the restored data directory serves
 * every write acknowledged before the backup started (and the binding key that made them); restore refuses a
 * directory that holds databases or whose server runs, and a damaged backup, before it replaces anything.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { createPlatform } from '../../src/platform/platform.js';
import { fetchToken, runCli, startServer, tempDir } from '../helpers/server.js';

describe('backup and restore', () => {
  it('restores a backup taken under write load with every write acknowledged before it started', async () => {
    const s = await startServer();
    const work = tempDir('ironbridge-backup-test-');
    try {
      const T = s.tenant;
      const ok = async (res: Promise<Response>) => {
        const r = await res;
        if (r.status >= 300) assert.fail(`${r.status} ${await r.text()}`);
        return r;
      };
      await ok(s.api(`/api/assetmanagement/v3/aspecttypes/${T}.Env`, { method: 'PUT', headers: { 'if-none-match': '*' },
        body: JSON.stringify({ name: 'Env', category: 'dynamic', scope: 'private', variables: [{ name: 'n', dataType: 'INT', unit: '', searchable: false, qualityCode: false }] }) }));
      await ok(s.api(`/api/assetmanagement/v3/assettypes/${T}.Probe`, { method: 'PUT', headers: { 'if-none-match': '*' },
        body: JSON.stringify({ name: 'Probe', parentTypeId: 'core.basicasset', scope: 'private', aspects: [{ name: 'env', aspectTypeId: `${T}.Env` }] }) }));
      const root = (await (await s.api('/api/assetmanagement/v3/assets/root')).json()) as { assetId: string };
      const asset = (await (await ok(s.api('/api/assetmanagement/v3/assets', { method: 'POST',
        body: JSON.stringify({ name: 'p', typeId: `${T}.Probe`, parentId: root.assetId }) }))).json()) as { assetId: string };
      const series = `/api/iottimeseries/v3/timeseries/${asset.assetId}/env`;
      const start = Date.parse('2024-01-01T00:00:00Z');

      // Two writers, one record a request, until told to stop.
      const acked: number[] = [];
      let next = 0;
      let stop = false;
      const writer = async () => {
        while (!stop) {
          const i = next++;
          await ok(s.api(series, { method: 'PUT', body: JSON.stringify([{ _time: new Date(start + i * 1000).toISOString(), n: i }]) }));
          acked.push(i);
        }
      };
      const writers = [writer(), writer()];
      while (acked.length < 40) await new Promise((r) => setImmediate(r));
      const before = new Set(acked);
      const file = path.join(work, 'ironbridge.backup');
      const backup = await runCli(['backup', '--out', file, '--data-dir', s.config.dataDir, '--json']);
      const during = acked.length - before.size;
      while (acked.length < before.size + during + 20) await new Promise((r) => setImmediate(r));
      stop = true;
      await Promise.all(writers);
      assert.equal(backup.code, 0, backup.stderr);
      assert.ok(during > 0, 'writes went on while the backup ran');
      const summary = JSON.parse(backup.stdout) as { databases: { name: string; bytes: number; sha256: string }[] };
      // Every database of the data directory, the four of wave 1 among them.
      const files = fs.readdirSync(s.config.dataDir).filter((f) => f.endsWith('.db')).sort();
      assert.deepEqual(summary.databases.map((d) => d.name), files);
      for (const f of ['assets.db', 'gateway.db', 'identity.db', 'timeseries.db']) assert.ok(files.includes(f), f);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);

      const restored = path.join(work, 'restored');
      const r = await runCli(['restore', '--from', file, '--data-dir', restored, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const config = loadConfig({ port: 0, dataDir: restored, logLevel: 'silent', secretHashCost: 10 }, {});
      const platform = await createPlatform(config, { logger: createLogger('silent') });
      try {
        const url = await platform.listen();
        const token = await fetchToken(url, s.key);
        const res = await fetch(`${url}${series}?from=${new Date(start - 1).toISOString()}&to=${new Date(start + next * 1000).toISOString()}&limit=2000`,
          { headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        const got = new Set(((await res.json()) as { n: number }[]).map((x) => x.n));
        const missing = [...before].filter((i) => !got.has(i));
        assert.deepEqual(missing, [], 'writes acknowledged before the backup started are missing');
        assert.ok(got.size <= acked.length);
      } finally {
        await platform.close();
      }

      // Refusals, each before anything is replaced.
      const again = await runCli(['restore', '--from', file, '--data-dir', restored]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already holds [a-z., ]*\bidentity\.db\b[a-z., ]*: restore into an empty directory, or pass --force/);
      fs.writeFileSync(path.join(restored, 'server.json'), JSON.stringify({ publicUrl: 'http://localhost:1', pid: process.pid }));
      const running = await runCli(['restore', '--from', file, '--data-dir', restored, '--force']);
      assert.match(running.stderr, new RegExp(`a server \\(pid ${process.pid}\\) runs on .*: stop it before restoring`));
      fs.rmSync(path.join(restored, 'server.json'));
      const damaged = path.join(work, 'damaged.backup');
      fs.copyFileSync(file, damaged);
      const db = new Database(damaged);
      db.prepare("UPDATE chunks SET data = zeroblob(length(data)) WHERE name = 'timeseries.db' AND seq = 0").run();
      db.close();
      const identityBefore = fs.readFileSync(path.join(restored, 'identity.db'));
      const bad = await runCli(['restore', '--from', damaged, '--data-dir', restored, '--force']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /the copy of timeseries\.db is damaged \(SHA-256 mismatch\)/);
      assert.ok(fs.readFileSync(path.join(restored, 'identity.db')).equals(identityBefore), 'nothing replaced');
      assert.deepEqual(fs.readdirSync(restored).filter((f) => f.endsWith('.restoring')), []);
      const notBackup = await runCli(['restore', '--from', path.join(restored, 'identity.db'), '--data-dir', path.join(work, 'x')]);
      assert.match(notBackup.stderr, /is not an Ironbridge backup/);
    } finally {
      await s.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
