/**
 * An acknowledged write survives kill -9 (issue "Foundation", Storage): a real `ironbridge serve` process takes
 * concurrent asset creations, is killed with SIGKILL mid-load, restarts on the same data directory, and every
 * write it acknowledged (201) is there, with the binding key and signing keys intact.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fetchToken, spawnServer, tempDir } from '../helpers/server.js';

const AM = '/api/assetmanagement/v3';

it('every acknowledged write survives kill -9 of the server mid-load', async () => {
  const dataDir = tempDir();
  // The token issuer is the public URL; pin it so that it survives the restart on another port.
  const env = { IRONBRIDGE_PUBLIC_URL: 'http://ironbridge.test:8080' };
  const first = await spawnServer(dataDir, env);
  const out = first.output();
  const key = { clientId: /clientID\s+(\S+)/.exec(out)![1]!, clientSecret: /clientSecret\s+(\S+)/.exec(out)![1]! };
  const token = await fetchToken(first.url, key);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const root = await (await fetch(`${first.url}${AM}/assets/root`, { headers })).json() as { assetId: string };

  const acknowledged: { assetId: string; name: string }[] = [];
  let failed = 0;
  let stop = false;
  let n = 0;
  const worker = async () => {
    while (!stop) {
      const name = `durable-${n++}`;
      try {
        const res = await fetch(`${first.url}${AM}/assets`, {
          method: 'POST', headers, body: JSON.stringify({ name, typeId: 'core.basicasset', parentId: root.assetId }),
        });
        if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        const body = await res.json() as { assetId: string; name: string };
        acknowledged.push({ assetId: body.assetId, name: body.name });
      } catch (err) {
        if (!stop) throw err;
        failed++;
      }
    }
  };
  const workers = Array.from({ length: 6 }, worker);
  // Kill while requests are in flight, once a meaningful number has been acknowledged.
  while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 5));
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.allSettled(workers);
  assert.equal(await first.stop(), null, 'killed by a signal');
  const count = acknowledged.length;

  const second = await spawnServer(dataDir, env);
  try {
    assert.ok(!/clientSecret/.test(second.output()), 'restart must not re-provision');
    const token2 = await fetchToken(second.url, key);
    const headers2 = { authorization: `Bearer ${token2}` };
    // A token issued before the crash still verifies: signing keys were durable too.
    assert.equal((await fetch(`${second.url}${AM}/assets/root`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const missing: string[] = [];
    for (const a of acknowledged) {
      const res = await fetch(`${second.url}${AM}/assets/${a.assetId}`, { headers: headers2 });
      if (res.status !== 200 || ((await res.json()) as { name: string }).name !== a.name) missing.push(a.name);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${count} acknowledged writes lost (${failed} in flight at the kill)`);
    const filter = encodeURIComponent(JSON.stringify({ name: { startsWith: 'durable-' } }));
    const list = await (await fetch(`${second.url}${AM}/assets?filter=${filter}&size=1`, { headers: headers2 })).json() as { page: { totalElements: number } };
    assert.ok(list.page.totalElements >= count, `${list.page.totalElements} stored < ${count} acknowledged`);
  } finally {
    await second.stop();
  }
});
