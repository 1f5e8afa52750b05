/**
 * The time series store with its writes on a thread of their own (`--timeseries-writer thread`, issue 17): every
 * mutating call is posted to one writer thread (worker-thread.ts) that owns a SqliteTimeseriesStore connection
 * with its group commit; reads run on a SqliteTimeseriesStore connection of the main thread on the same WAL
 * database. So the request handling of one PUT (parse, validation) and the commit of the previous ones run on the
 * two cores at once.
 * Invariants:
 * - a write resolves only after the thread's store call returned (for a put: after its shared COMMIT, fsynced with
 *   --sqlite-sync full), and is then visible to the next read here: the reading connection sees the commit in
 *   its next read snapshot, and it drops its series ids when SQLite's data_version moved (the `otherWriters`
 *   check of sqlite.ts, exact on every call). Its rendered-chunk cache is kept (an entry is used only for the
 *   very bytes it was rendered from, chunk-json.ts); its chunk tails and roll-up buffer are a writer's and empty.
 * - writes reach the thread in call order and are applied in that order;
 * - an error thrown by the store in the thread is thrown here as the same class (SeriesZoneError, SqliteError
 *   with its code; others as Error with name, message and code);
 * - a thread that stops fails the calls it had not answered with TimeseriesWriterStopped (each of those writes
 *   may or may not have been committed, whole or not at all); the next write starts a new thread;
 * - close() returns after the thread committed what it was given, closed its connection and ended.
 * The schema migrations and the conversion of an older database run on the main thread, where the reading
 * connection opens first (as the inline store does), so the thread opens an up-to-date database.
 */
import { Worker } from 'node:worker_threads';
import { metricsRegistry } from '../../core/metrics.js';
import type { Level } from '../buckets.js';
import type { RangeQuery, RecordEncoder, RecordPage, Rollup, SeriesKey, SeriesShape, SeriesWrite, StoredRecord,
  TimeseriesStore } from '../store.js';
import { writeLength } from '../records.js';
import { SqliteTimeseriesStore, type SqliteTimeseriesOptions } from './sqlite.js';
import { encodeWrites, errorOf, type Reply, type Request, VarTable } from './worker-wire.js';

/** Longest wait of close() for the thread to commit what it holds and close its connection. */
const CLOSE_WAIT_MS = 60_000;

/** The writer thread stopped before it answered: the write may or may not have been committed. */
export class TimeseriesWriterStopped extends Error {
  constructor(reason: string) {
    super(`the time series writer thread stopped (${reason}) before it answered: this write may or may not have been stored`);
    this.name = 'TimeseriesWriterStopped';
  }
}

export interface WorkerTimeseriesOptions extends SqliteTimeseriesOptions {
  /** Where a stopped writer thread is reported. */
  warn?: (fields: object, message: string) => void;
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

/** One writer thread and the calls it has not answered. */
class Writer {
  readonly worker: Worker;
  readonly vars = new VarTable();
  readonly pending = new Map<number, Pending>();
  stopped: Error | undefined;
  private error: Error | undefined;

  constructor(options: SqliteTimeseriesOptions, onStop: (w: Writer, err: Error) => void) {
    const { logger: _logger, ...data } = options;
    this.worker = new Worker(new URL('./worker-thread.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      if (r.m) for (const [name, method, args] of r.m) {
        (metricsRegistry.getSingleMetric(name) as unknown as Record<string, (...a: unknown[]) => void> | undefined)?.[method]?.(...args);
      }
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(errorOf(r.error));
    });
    this.worker.on('error', (err) => { this.error ??= err; });
    this.worker.on('exit', (code) => {
      const reason = this.error ? `${this.error.name}: ${this.error.message}` : `exit code ${code}`;
      this.stopped = new TimeseriesWriterStopped(reason);
      if (this.error) (this.stopped as { cause?: unknown }).cause = this.error;
      for (const p of this.pending.values()) p.reject(this.stopped);
      this.pending.clear();
      onStop(this, this.stopped);
    });
  }

  /** Posts a request; the thread keeps the process alive only while answers are due. */
  call<T>(msg: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(msg.id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(msg, transfer);
    });
  }
}

export class WorkerTimeseriesStore implements TimeseriesStore {
  /** The main thread's connection: every read, and the migrations and conversion on open. */
  readonly reader: SqliteTimeseriesStore;
  private writer: Writer | undefined;
  private nextId = 0;
  private closed = false;
  private readonly threadOptions: SqliteTimeseriesOptions;

  constructor(private readonly options: WorkerTimeseriesOptions) {
    const { warn: _warn, ...sqlite } = options;
    this.reader = new SqliteTimeseriesStore(sqlite);
    this.threadOptions = sqlite;
    this.writer = this.start();
  }

  get db(): SqliteTimeseriesStore['db'] {
    return this.reader.db;
  }

  /** The current writer thread (tests stop it to see a write fail and the next one start a new thread). */
  get thread(): Worker | undefined {
    return this.writer?.worker;
  }

  private start(): Writer {
    return new Writer(this.threadOptions, (w, err) => {
      if (this.writer === w) this.writer = undefined;
      if (!this.closed) this.options.warn?.({ err }, 'time series writer thread stopped; the next write starts a new one');
    });
  }

  private call<T>(msg: Request, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the time series store is closed'));
    this.writer ??= this.start();
    return this.writer.call<T>(msg, transfer);
  }

  /** A request that carries writes, in their compact form for the current thread. */
  private send<T>(op: 'put' | 'patch' | 'deleteRange' | 'rebuild', writes: readonly SeriesWrite[], extra: { from?: number; to?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the time series store is closed'));
    this.writer ??= this.start();
    const { data, transfer } = encodeWrites(writes, this.writer.vars);
    return this.writer.call<T>({ id: this.nextId++, op, data, ...extra } as Request, transfer);
  }

  async put(writes: readonly SeriesWrite[]): Promise<void> {
    let records = 0;
    for (const w of writes) records += writeLength(w);
    if (records > 0) await this.send('put', writes);
  }

  /** The thread makes the merged records' text with recordJson (a function cannot be posted): `encode` must be it. */
  async patch(write: SeriesWrite, _encode: RecordEncoder): Promise<void> {
    if (write.records.length > 0) await this.send('patch', [write]);
  }

  deleteRange(key: SeriesKey, shape: SeriesShape, from: number, to: number): Promise<number> {
    if (to <= from) return Promise.resolve(0);
    return this.send('deleteRange', [{ key, shape, records: [] }], { from, to });
  }

  async rebuild(key: SeriesKey, shape: SeriesShape): Promise<void> {
    await this.send('rebuild', [{ key, shape, records: [] }]);
  }

  dropAsset(tenant: string, assetId: string): Promise<number> {
    return this.call({ id: this.nextId++, op: 'dropAsset', tenant, assetId });
  }

  async dropSeries(key: SeriesKey): Promise<void> {
    await this.call({ id: this.nextId++, op: 'dropSeries', key: { tenant: key.tenant, assetId: key.assetId, aspect: key.aspect } });
  }

  deleteTenant(tenant: string): Promise<number> {
    return this.call({ id: this.nextId++, op: 'deleteTenant', tenant });
  }

  read(key: SeriesKey, q: RangeQuery): Promise<StoredRecord[]> { return this.reader.read(key, q); }
  readText(key: SeriesKey, q: RangeQuery): Promise<string[]> { return this.reader.readText(key, q); }
  readJson(key: SeriesKey, q: RangeQuery): Promise<RecordPage> { return this.reader.readJson(key, q); }
  count(key: SeriesKey, from: number, to: number): Promise<number> { return this.reader.count(key, from, to); }
  rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]> { return this.reader.rollups(key, level, from, to); }
  zoneOf(key: SeriesKey): Promise<string | undefined> { return this.reader.zoneOf(key); }
  zonesOf(keys: readonly SeriesKey[]): Promise<(string | undefined)[]> { return this.reader.zonesOf(keys); }
  assetsWithAspect(tenant: string, aspect: string): Promise<string[]> { return this.reader.assetsWithAspect(tenant, aspect); }

  /**
   * Waits (blocking, at most CLOSE_WAIT_MS) until the thread has committed every write it was given and closed its
   * connection, then ends it; the answers of those writes follow on the event loop.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const w = this.writer;
    this.writer = undefined;
    if (w && !w.stopped) {
      const signal = new Int32Array(new SharedArrayBuffer(4));
      w.worker.ref();
      w.pending.set(this.nextId, { resolve: () => {}, reject: () => {} });
      w.worker.postMessage({ id: this.nextId++, op: 'close', signal } satisfies Request);
      Atomics.wait(signal, 0, 0, CLOSE_WAIT_MS);
      void w.worker.terminate();
    }
    this.reader.close();
  }
}
