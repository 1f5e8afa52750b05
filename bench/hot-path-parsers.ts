/**
 * Same-run A/B of the pure functions on the time series hot path (issue 17): a baseline build against this one,
 * in one process (two module instances). Run: `npm run build && BENCH_BASELINE=<root of a baseline checkout with
 * its dist/ built> node dist/bench/hot-path-parsers.js`. Prints CPU µs per request (1,000 records of 10 DOUBLE, as
 * one series or as 50 series × 20 timestamps; the times of a 90-day aggregate of 10 variables) and the ratio this build / baseline (best of two runs each).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Build = { inst: any; json: any; rec: any };
const load = async (root: string): Promise<Build> => {
  const at = (p: string) => import(pathToFileURL(path.join(root, 'dist/src', p)).href);
  return { inst: await at('core/instant.js'), json: await at('core/json.js'), rec: await at('timeseries/records.js') };
};

async function main(): Promise<void> {
  const baseline = process.env['BENCH_BASELINE'];
  if (!baseline) throw new Error('BENCH_BASELINE=<root of a baseline build> is required');
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const base = await load(baseline);
  const now = await load(here);
  const T0 = Date.parse('2024-01-01T00:00:00Z');
  const body = JSON.stringify(Array.from({ length: 1000 }, (_, i) => {
    const o: Record<string, unknown> = { _time: new Date(T0 + i * 10).toISOString() };
    for (let v = 0; v < 10; v++) o[`v${v}`] = Math.round(Math.sin(i / 100 + v) * 1e6) / 1e3;
    return o;
  }));
  const vars = new Map(Array.from({ length: 10 }, (_, v) => [`v${v}`,
    { name: `v${v}`, dataType: 'DOUBLE', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null }]));
  // The time-major shape: 50 series × 20 timestamps in one multi-entity PUT body.
  const many = JSON.stringify({ timeseries: Array.from({ length: 50 }, (_, e) => ({ entityId: `e${e}`, propertySetName: 'p',
    data: Array.from({ length: 20 }, (_, i) => {
      const o: Record<string, unknown> = { _time: new Date(T0 + i * 1000).toISOString() };
      for (let v = 0; v < 10; v++) o[`v${v}`] = Math.round(Math.sin(i / 10 + e + v) * 1e6) / 1e3;
      return o;
    }) })) });
  const times = Array.from({ length: 3600 }, (_, i) => T0 + Math.floor(i / 40) * 86_400_000 + (i % 40) * 60_000 + 17);
  const time = (f: () => unknown, n: number) => {
    for (let i = 0; i < 20; i++) f();
    const s = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const u = process.cpuUsage(s);
    return (u.user + u.system) / n;
  };
  console.log('| per request | baseline | this build | ratio |\n|---|---|---|---|');
  const cases: [string, (m: Build) => () => unknown][] = [
    ['JSON nesting bound of the parsed body', (m) => { const v = JSON.parse(body); return () => m.json.nestingBeyond(v, 32); }],
    ['parseInstant of 1,000 `_time`', (m) => {
      const ts = (JSON.parse(body) as { _time: string }[]).map((r) => r._time);
      return () => { for (const t of ts) m.inst.parseInstant(t); };
    }],
    ['JSON.parse + validateRecords of 1,000 records', (m) => () => m.rec.validateRecords(JSON.parse(body), vars)],
    ['JSON.parse + validateRecords of 50 series × 20 records', (m) => () => {
      for (const item of (JSON.parse(many) as { timeseries: { data: unknown }[] }).timeseries) m.rec.validateRecords(item.data, vars);
    }],
    ['iso of 3,600 times (90-day aggregate, 10 variables)', (m) => () => { let n = 0; for (const t of times) n += (m.inst.iso(t) as string).length; return n; }],
  ];
  for (const [name, make] of cases) {
    const b = make(base);
    const a = make(now);
    const before = Math.min(time(b, 300), time(b, 300));
    const after = Math.min(time(a, 300), time(a, 300));
    console.log(`| ${name} | ${before.toFixed(0)} µs | ${after.toFixed(0)} µs | ${(after / before).toFixed(2)} |`);
  }
  console.log(`(JSON.parse of the body alone: ${time(() => JSON.parse(body), 300).toFixed(0)} µs)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
