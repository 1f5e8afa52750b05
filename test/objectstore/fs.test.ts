/** The ObjectStore contract on the data directory, plus what only a file system shows: no stray files. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { FsObjectStore } from '../../src/objectstore/index.js';
import { tempDir } from '../helpers/server.js';
import { runObjectStoreContract } from './store.contract.js';

const dirs: string[] = [];
const fresh = () => {
  const d = tempDir('ironbridge-objects-');
  dirs.push(d);
  return d;
};
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

runObjectStoreContract('data directory', async () => new FsObjectStore(fresh()));

describe('data directory layout', () => {
  it('leaves no temporary file after failed puts and removes emptied folders on delete', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const broken = new Readable({ read() { this.destroy(new Error('cut')); } });
    await assert.rejects(store.put('a/b/c', broken));
    await assert.rejects(store.put('a/b/c', Readable.from([Buffer.alloc(10)]), { maxBytes: 5 }));
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
    await store.put('a/b/c', Readable.from([Buffer.from('x')]));
    assert.ok(fs.existsSync(path.join(root, 'o', 'a', 'b', 'c~')));
    await store.delete('a/b/c');
    assert.deepEqual(fs.readdirSync(path.join(root, 'o')), []);
    await assert.rejects(store.completeMultipart('a', '../../etc', []), /does not exist/);
  });

  it('a failing file write mid-stream fails the put, leaves nothing, and the next put works', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const probe = await fs.promises.open(path.join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = proto.write;
    let writes = 0;
    proto.write = function (this: unknown, ...a: unknown[]) {
      // the header write, then the first slab; the second slab fails as a full disk would
      if (++writes === 3) return Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
      return original.apply(this, a);
    };
    const body = Buffer.alloc(8 * 1024 * 1024, 7);
    try {
      await assert.rejects(store.put('w/x', Readable.from([body])), /no space left/);
    } finally {
      proto.write = original;
    }
    assert.ok(writes >= 3, 'the failing write was reached');
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
    assert.equal(await store.head('w/x'), undefined);
    const ok = await store.put('w/x', Readable.from([body]));
    assert.equal(ok.size, body.length);
  });
});
