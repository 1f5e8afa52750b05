/**
 * Explorer benchmark (issue 16): time to first chart in chromium for a week of 1 Hz data of one DOUBLE variable
 * (604,800 records, written over HTTP in batches of 10,000): from the Plot click until uPlot's canvas is drawn,
 * the median of several runs with the page reloaded between them. The Explorer draws a week from hourly
 * aggregates (IoT Time Series Aggregates API v4), so the figure includes the aggregate query over all records.
 * Reference, measured in the same run: the very aggregate request the page sent (captured from the browser), sent
 * from Node with a bearer token, median of as many runs: the server's share; the ratio chart / reference is what
 * the browser, the gateway's session path and uPlot add on top. A second reference splits that: the same request
 * by `fetch` inside the page (the browser and the session path, no React, no uPlot).
 * Run: `npm run build && node dist/bench/explorer.js [days] [runs]`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { launchBrowser } from '../test/helpers/browser.js';
import { startServer } from '../test/helpers/server.js';
import { makeAsset, put } from '../test/timeseries/helpers.js';

const DAYS = Number(process.argv[2] ?? 7);
const RUNS = Number(process.argv[3] ?? 5);
const BATCH = 10_000;

async function main() {
  const load = os.loadavg()[0]!.toFixed(1);
  const s = await startServer({ sqliteSync: 'normal', timeseriesBodyLimitBytes: 8 * 1024 * 1024 });
  const email = 'bench@local.localhost';
  const password = 'correct-horse-battery';
  await s.platform.identity.service.addUser(s.tenant, email, password, 'user');
  const assetId = await makeAsset(s, 'Bench', { variables: [{ name: 'value', dataType: 'DOUBLE', unit: '' }] });
  const total = DAYS * 86_400;
  const end = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const t0 = performance.now();
  for (let done = 0; done < total; done += BATCH) {
    const n = Math.min(BATCH, total - done);
    const records = Array.from({ length: n }, (_, i) => {
      const k = done + i;
      return { _time: new Date(end - (total - 1 - k) * 1000).toISOString(), value: Math.sin(k / 600) * 10 + 20 };
    });
    const res = await put(s, assetId, 'Env', records);
    if (res.status !== 204) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  const ingestSec = (performance.now() - t0) / 1000;

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const port = new URL(s.url).port;
    await page.goto(`http://${s.tenant}-explorer.${s.config.region}.${s.config.domain}:${port}/?asset=${assetId}&aspect=Env`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    const samples: number[] = [];
    let aggregatesPath = '';
    page.on('request', (r) => { if (r.url().includes('/api/iottsaggregates/')) aggregatesPath = new URL(r.url()).pathname + new URL(r.url()).search; });
    for (let run = 0; run < RUNS; run++) {
      if (run > 0) await page.reload();
      await page.locator(`select[name=asset] option[value="${assetId}"]`).waitFor({ state: 'attached' });
      await page.locator('select[name=aspect] option[value="Env"]').waitFor({ state: 'attached' });
      await page.selectOption('select[name=range]', { label: DAYS <= 7 ? 'Last week' : DAYS <= 30 ? 'Last 30 days' : 'Last year' });
      const start = performance.now();
      await page.click('button:has-text("Plot")');
      await page.getByTestId('chart').locator('canvas').waitFor();
      samples.push(performance.now() - start);
    }
    const summary = await page.getByTestId('summary').textContent();
    if (!aggregatesPath) throw new Error('the page sent no aggregate request');
    const token = await s.token();
    const reference: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      const res = await fetch(`${s.url}${aggregatesPath}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`reference: ${res.status} ${body}`);
      reference.push(performance.now() - start);
    }
    const inPage: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // text, as the bench's own types have no DOM
      inPage.push(await page.evaluate<number>(`(async () => { const t = performance.now();
        const r = await fetch(${JSON.stringify(aggregatesPath)}, { headers: { accept: 'application/json' } });
        if (r.status !== 200) throw new Error('in-page reference: ' + r.status); await r.json(); return performance.now() - t; })()`));
    }
    samples.sort((a, b) => a - b);
    reference.sort((a, b) => a - b);
    inPage.sort((a, b) => a - b);
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
    console.log(`records ${total.toLocaleString('en')} (${DAYS} d at 1 Hz), ingest ${ingestSec.toFixed(1)} s over HTTP`);
    console.log(`time to first chart: median ${median(samples).toFixed(0)} ms, ` +
      `min ${samples[0]!.toFixed(0)} ms, max ${samples[samples.length - 1]!.toFixed(0)} ms over ${RUNS} runs (goal < 1000 ms)`);
    console.log(`reference, same run: the page's aggregate request from Node (${aggregatesPath.split('?')[0]}): median ${median(reference).toFixed(0)} ms, ` +
      `min ${reference[0]!.toFixed(0)} ms, max ${reference[reference.length - 1]!.toFixed(0)} ms`);
    console.log(`reference, same run: the same request by fetch inside the page (session cookie): median ${median(inPage).toFixed(0)} ms, ` +
      `min ${inPage[0]!.toFixed(0)} ms, max ${inPage[inPage.length - 1]!.toFixed(0)} ms`);
    console.log(`ratio time to first chart / Node request: ${(median(samples) / median(reference)).toFixed(2)}, ` +
      `/ in-page request: ${(median(samples) / median(inPage)).toFixed(2)}`);
    console.log(`chart: ${summary}; load average at start ${load}, at end ${os.loadavg()[0]!.toFixed(1)}, cores ${os.cpus().length}`);
  } finally {
    await browser.close();
    await s.close();
  }
}

await main();
