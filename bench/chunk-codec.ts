/**
 * Benchmark of the time series chunk codec (src/timeseries/store/chunk-codec.ts, issue 17 "Compressed storage"),
 * run on demand: `npm run build && node dist/bench/chunk-codec.js`.
 * Data: 1 Hz records of 10 doubles of the bench shape (bench/timeseries-shared.ts `value()`: fixed 3-decimal sine
 * waves). Prints, with references measured in the same run:
 * - bytes per value for chunks of 120, 1,000 and 4,000 records, against the stored JSON text of the same records
 *   (recordJson()) and raw float64 (8 bytes a value plus 8 a timestamp); InfluxDB 1.6's figure on this data after
 *   compaction is 6.2 B/value (issue 17);
 * - encode and decode speed in M values/s, against JSON.stringify / JSON.parse of the same records;
 * - chunkText of 2,000 records, against recordJson() of the same records (what the store did before).
 * Times are medians of BENCH_ROUNDS (default 100) rounds, after 50 warm-up calls; the CPU time of this process per operation is printed
 * beside the wall time, since the machine is shared (wall time then includes waiting for a core).
 */
import { recordJson } from '../src/timeseries/records.js';
import { type ChunkRecord, chunkText, decodeChunk, encodeChunk } from '../src/timeseries/store/chunk-codec.js';
import { p50, value } from './timeseries-shared.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 100);
const VARS = 10;
const T0 = Date.UTC(2026, 0, 1);

function records(n: number): ChunkRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const values: Record<string, number> = {};
    for (let v = 0; v < VARS; v++) values[`v${v}`] = value(i, v);
    return { t: T0 + i * 1000, values };
  });
}

/** Median wall and CPU milliseconds of one call of f (after a warm-up). */
function measure(f: () => unknown): { wall: number; cpu: number } {
  for (let i = 0; i < 50; i++) f(); // warm-up: optimised code, as on a busy server
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  return { wall: p50(walls), cpu: p50(cpus) };
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

console.log(`chunk codec, 1 Hz × ${VARS} doubles of the bench shape; ${ROUNDS} rounds; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('\nsize                 bytes   B/value   JSON B/value  vs JSON   raw f64 B/value  vs raw   vs InfluxDB 6.2');
for (const n of [120, 1000, 4000]) {
  const recs = records(n);
  const bytes = encodeChunk(recs).length;
  const json = recs.reduce((s, r) => s + Buffer.byteLength(recordJson(r.t, r.values as Record<string, unknown>)), 0);
  const raw = n * (VARS + 1) * 8;
  const values = n * VARS;
  console.log(`${String(n).padStart(5)} records   ${String(bytes).padStart(8)}   ${f3(bytes / values).padStart(7)}   ${f2(json / values).padStart(12)}  ${(json / bytes).toFixed(1).padStart(6)}×   ${f2(raw / values).padStart(15)}  ${(raw / bytes).toFixed(1).padStart(5)}×   ${(6.2 / (bytes / values)).toFixed(1)}×`);
}

const recs = records(2000);
const values = recs.length * VARS;
const buf = encodeChunk(recs);
const jsonTexts = recs.map((r) => JSON.stringify(r.values));
const enc = measure(() => encodeChunk(recs));
const encRef = measure(() => recs.map((r) => JSON.stringify(r.values)));
const dec = measure(() => decodeChunk(buf));
const decRef = measure(() => jsonTexts.map((s) => JSON.parse(s) as unknown));
const text = measure(() => chunkText(buf, -Infinity, Infinity, 2000, false));
const textRef = measure(() => recs.map((r) => recordJson(r.t, r.values as Record<string, unknown>)));
const mvs = (ms: number) => f2(values / ms / 1000);
console.log(`\nspeed, 2,000 records (${values} values)   wall ms   cpu ms   M values/s (cpu)   reference (same run)                     ratio (cpu)`);
console.log(`encodeChunk                           ${f3(enc.wall).padStart(7)}  ${f3(enc.cpu).padStart(7)}   ${mvs(enc.cpu).padStart(8)}          JSON.stringify ${f3(encRef.cpu)} ms cpu (${mvs(encRef.cpu)} M/s)   ${(encRef.cpu / enc.cpu).toFixed(2)}×`);
console.log(`decodeChunk                           ${f3(dec.wall).padStart(7)}  ${f3(dec.cpu).padStart(7)}   ${mvs(dec.cpu).padStart(8)}          JSON.parse     ${f3(decRef.cpu)} ms cpu (${mvs(decRef.cpu)} M/s)   ${(decRef.cpu / dec.cpu).toFixed(2)}×`);
console.log(`chunkText (2,000 records)             ${f3(text.wall).padStart(7)}  ${f3(text.cpu).padStart(7)}   ${mvs(text.cpu).padStart(8)}          recordJson()   ${f3(textRef.cpu)} ms cpu (${mvs(textRef.cpu)} M/s)   ${(textRef.cpu / text.cpu).toFixed(2)}×`);
