/**
 * Hashing off the event loop: the MD5 and SHA-256 of streamed objects (5 s and 2 s of CPU per GB) run in a small
 * pool of worker threads (hash-worker.ts), so they overlap with HTTP parsing and file writes on the main thread.
 * Bytes reach the workers through SharedArrayBuffer slabs: each chunk is copied once into a slab, every hash of
 * the stream reads the same slab (one message per slab and worker), and the slab is reused only after all of them
 * acknowledged it. Workers start on demand, up to the configured number: one takes STATES_PER_LANE hash states
 * (a multipart part's MD5 and SHA-256 plus its upload's running SHA-256) before another starts, since each worker
 * costs about 10 MB of resident memory and one hashes all of an upload faster than this server receives it. A feed
 * holds at most SLABS_PER_FEED slabs, so a hash that falls behind slows its stream (back-pressure) instead of
 * buffering it. Streams that end within one slab hash inline.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SETTINGS } from '../core/config.js';
import { paced } from './pacing.js';

export type Alg = 'md5' | 'sha256';
export type ToWorker =
  | { t: 'new'; id: number; alg: Alg }
  | { t: 'up'; ids: number[]; buf: SharedArrayBuffer; len: number; seq: number }
  | { t: 'end'; ids: number[]; rid: number }
  | { t: 'drop'; ids: number[] };
type FromWorker = { t: 'ack'; seq: number } | { t: 'digest'; rid: number; hex: string[] };

export const SLAB_BYTES = 1024 * 1024;
const SLABS_PER_FEED = 4;
const FREE_SLABS_KEPT = 16;
/** How long after the store is opened its first hash worker starts. */
const WARM_AFTER_MS = 500;
/** Live hash states a worker takes before the pool starts another (up to its size). */
const STATES_PER_LANE = 3;

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

class Lane {
  readonly worker: Worker;
  live = 0;
  dead: Error | undefined;
  private readonly waiting = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    this.worker.on('message', (m: FromWorker) => {
      const key = m.t === 'ack' ? m.seq : m.rid;
      const p = this.waiting.get(key);
      if (!p) return;
      this.waiting.delete(key);
      if (this.waiting.size === 0) this.worker.unref();
      p.resolve(m.t === 'ack' ? undefined : m.hex);
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.waiting.values()) p.reject(this.dead);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
    // After the listeners: adding the first 'message' listener refs the worker's port again, and an idle pool
    // started with the store would then keep the process alive forever.
    this.worker.unref();
  }

  /** Posts a message whose answer carries `key`; the worker keeps the process alive only while answers are due. */
  ask<T>(msg: ToWorker, key: number): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(key, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(msg);
    });
  }

  tell(msg: ToWorker): void {
    if (!this.dead) this.worker.postMessage(msg);
  }
}

/** A hash state living in one worker. */
export interface HashHandle { readonly id: number; readonly lane: Lane; readonly alg: Alg }

class HashPool {
  /** The setting's default until openObjectStore configures it (stores built directly, as in tests). */
  private threads = SETTINGS.find((x) => x.key === 'hashThreads')!.default as number;
  private readonly lanes: Lane[] = [];
  private seq = 0;
  private readonly free: SharedArrayBuffer[] = [];

  /**
   * Sets the pool's size and starts its first worker shortly after (the platform's store opening), so the first
   * upload does not wait for it. The delay spares a CLI command that opens the platform and exits at once; the
   * timer does not keep the process alive.
   */
  configure(threads: number): void {
    this.threads = Math.max(1, threads);
    setTimeout(() => this.laneFor(), WARM_AFTER_MS).unref();
  }

  /** The least busy live lane; a new one when there is none or it is full and the pool may grow. */
  private laneFor(): Lane {
    for (let i = this.lanes.length - 1; i >= 0; i--) if (this.lanes[i]!.dead) this.lanes.splice(i, 1);
    const least = this.lanes.reduce<Lane | undefined>((a, b) => (a && a.live <= b.live ? a : b), undefined);
    if (least && (least.live < STATES_PER_LANE || this.lanes.length >= this.threads)) return least;
    const lane = new Lane();
    this.lanes.push(lane);
    return lane;
  }

  /** New states go to the least busy lane, a set of them together while it has room. */
  create(algs: readonly Alg[]): HashHandle[] {
    return algs.map((alg) => {
      const lane = this.laneFor();
      lane.live++;
      const h = { id: ++this.seq, lane, alg };
      lane.tell({ t: 'new', id: h.id, alg });
      return h;
    });
  }

  /** Feeds `len` bytes of `buf` to every handle; resolves when every lane involved has read them. */
  update(handles: readonly HashHandle[], buf: SharedArrayBuffer, len: number): Promise<unknown> {
    return Promise.all([...byLane(handles)].map(([lane, ids]) => {
      const seq = ++this.seq;
      return lane.ask({ t: 'up', ids, buf, len, seq }, seq);
    }));
  }

  /** The hex digests of the handles, in their order; the states are gone afterwards. */
  async end(handles: readonly HashHandle[]): Promise<string[]> {
    const out = new Map<HashHandle, string>();
    await Promise.all([...byLane(handles)].map(async ([lane, ids]) => {
      const rid = ++this.seq;
      lane.live -= ids.length;
      const hex = await lane.ask<string[]>({ t: 'end', ids, rid }, rid);
      ids.forEach((id, i) => out.set(handles.find((h) => h.id === id)!, hex[i]!));
    }));
    return handles.map((h) => out.get(h)!);
  }

  drop(handles: readonly HashHandle[]): void {
    for (const [lane, ids] of byLane(handles)) {
      lane.live -= ids.length;
      lane.tell({ t: 'drop', ids });
    }
  }

  /** The live worker threads (for tests that make one die mid-stream). */
  workers(): Worker[] {
    return this.lanes.filter((l) => !l.dead).map((l) => l.worker);
  }

  takeSlab(): SharedArrayBuffer {
    return this.free.pop() ?? new SharedArrayBuffer(SLAB_BYTES);
  }

  giveSlab(buf: SharedArrayBuffer): void {
    if (this.free.length < FREE_SLABS_KEPT) this.free.push(buf);
  }
}

function byLane(handles: readonly HashHandle[]): Map<Lane, number[]> {
  const m = new Map<Lane, number[]>();
  for (const h of handles) m.set(h.lane, [...(m.get(h.lane) ?? []), h.id]);
  return m;
}

export const hashPool = new HashPool();

/** Sets the most hash worker threads (the hashThreads setting); they start on demand, existing ones stay. */
export function configureHashing(threads: number): void {
  hashPool.configure(threads);
}

/** A state kept across streams (a multipart upload's running SHA-256 over its parts in order). */
export function newHash(alg: Alg): HashHandle {
  return hashPool.create([alg])[0]!;
}

/**
 * The slab a stream is filling: copies its chunks into slabs of the pool and hands each full one on. The one copy
 * loop of both writers of slabs (HashFeed here, DigestFile in digest-file.ts), so both cut and reuse slabs alike.
 */
export class SlabFill {
  private slab: SharedArrayBuffer | undefined;
  private view: Uint8Array | undefined;
  private fill = 0;

  /**
   * Copies `chunk` from `off` into slabs, handing each full one to `send` (it owns the slab from then on); stops
   * before taking a new slab when `mayTake()` says no. Returns the offset reached: chunk.length once all is copied.
   */
  copy(chunk: Buffer, off: number, mayTake: () => boolean, send: (slab: SharedArrayBuffer, len: number) => void): number {
    while (off < chunk.length) {
      if (!this.slab) {
        if (!mayTake()) return off;
        this.slab = hashPool.takeSlab();
        this.view = new Uint8Array(this.slab);
        this.fill = 0;
      }
      const n = Math.min(chunk.length - off, SLAB_BYTES - this.fill);
      chunk.copy(this.view!, this.fill, off, off + n);
      this.fill += n;
      off += n;
      paced(n);
      if (this.fill === SLAB_BYTES) send(...this.take()!);
    }
    return off;
  }

  /** The partly filled slab and its length, now the caller's; undefined when none is started or it is empty. */
  take(): [SharedArrayBuffer, number] | undefined {
    const out: [SharedArrayBuffer, number] | undefined = this.slab && this.fill > 0 ? [this.slab, this.fill] : undefined;
    if (out) {
      this.slab = undefined;
      this.view = undefined;
      this.fill = 0;
    }
    return out;
  }

  /** The bytes of the partly filled slab (a stream that ends within its first slab is hashed from them inline). */
  bytes(): Uint8Array {
    return this.view ? this.view.subarray(0, this.fill) : new Uint8Array(0);
  }

  /** Gives the partly filled slab back to the pool. */
  release(): void {
    if (this.slab) hashPool.giveSlab(this.slab);
    this.slab = undefined;
    this.view = undefined;
    this.fill = 0;
  }
}

/**
 * One stream's hashes: `algs` are computed and returned by finish(); `also` (states owned by the caller) are fed
 * the same bytes and left open. write() copies the chunk and answers a promise only when it must wait for a slab.
 */
export class HashFeed {
  private own: HashHandle[] | undefined;
  private readonly slabs = new SlabFill();
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private failed: Error | undefined;
  private done = false;

  constructor(private readonly algs: readonly Alg[], private readonly also: readonly HashHandle[] = []) {}

  private readonly mayTake = () => !this.failed && this.inFlight < SLABS_PER_FEED;
  private readonly sendSlab = (slab: SharedArrayBuffer, len: number) => this.send(slab, len);

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.failed);
    const off = this.slabs.copy(chunk, 0, this.mayTake, this.sendSlab);
    if (off === chunk.length) return undefined;
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<void>((r) => { this.wake = r; }).then(() => this.write(chunk.subarray(off)));
  }

  private send(slab: SharedArrayBuffer, len: number): void {
    this.own ??= hashPool.create(this.algs);
    this.inFlight++;
    hashPool.update([...this.own, ...this.also], slab, len).then(() => {
      hashPool.giveSlab(slab);
    }, (err: Error) => { this.failed ??= err; }).finally(() => {
      this.inFlight--;
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  /** The digests of `algs` in order, once every byte written so far reached every hash (the `also` ones too). */
  async finish(): Promise<string[]> {
    this.done = true;
    if (!this.own && this.also.length === 0) {
      // Never left the first slab: hashing here is cheaper than a round trip to a worker.
      const bytes = this.slabs.bytes();
      const hex = this.algs.map((alg) => createHash(alg).update(bytes).digest('hex'));
      this.slabs.release();
      return hex;
    }
    const last = this.slabs.take();
    if (last) this.send(...last);
    else this.slabs.release();
    while (this.inFlight > 0) await new Promise<void>((r) => { this.wake = r; });
    if (this.failed) throw this.failed;
    const own = this.own ?? hashPool.create(this.algs);
    this.own = undefined;
    return hashPool.end(own);
  }

  /** Drops the stream's own states (a failed stream); slabs still being read return to the pool once read. */
  abort(): void {
    if (this.own) hashPool.drop(this.own);
    this.own = undefined;
    if (!this.done) this.slabs.release();
    this.done = true;
  }
}
