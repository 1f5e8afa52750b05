/**
 * The worker thread of the hash pool (hashing.ts): keeps MD5/SHA-256 states by id and feeds them from the shared
 * slabs the streaming side fills, acknowledging each slab so it can be reused. Messages arrive in order, so a
 * state is always created before it is fed and fed completely before it is finished.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './hashing.js';

const hashes = new Map<number, Hash>();
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'new':
      hashes.set(m.id, createHash(m.alg));
      break;
    case 'up': {
      const view = new Uint8Array(m.buf, 0, m.len);
      for (const id of m.ids) hashes.get(id)?.update(view);
      port.postMessage({ t: 'ack', seq: m.seq });
      break;
    }
    case 'end': {
      const hex = m.ids.map((id) => {
        const h = hashes.get(id);
        hashes.delete(id);
        return h ? h.digest('hex') : '';
      });
      port.postMessage({ t: 'digest', rid: m.rid, hex });
      break;
    }
    case 'drop':
      for (const id of m.ids) hashes.delete(id);
      break;
  }
});
