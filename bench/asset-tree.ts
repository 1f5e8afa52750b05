/**
 * Asset Manager tree benchmark (issue 16: "the asset tree (lazy, searchable, 100,000 assets stay smooth)"), in
 * Debian's chromium through playwright-core against the real server. Seeds a tenant with [assets] assets in a
 * 10-level hierarchy as bench/assets.ts does (straight into the store, one transaction per level) plus one node
 * under the root with BIG children, then measures in the page:
 *  1. navigation to the tree showing the root's children (login done once before, so the session is warm);
 *  2. opening the big node until its first page of children shows, and each "More children…" page after it (clicked
 *     and timed inside the page, checked each frame, so playwright's locator round trips are not counted);
 *  3. a search by name for an asset on the deepest level until its hit shows;
 *  4. with PAGES pages of the big node rendered: frames while scrolling (requestAnimationFrame, long frames > 50 ms)
 *     and 50 Tab presses through its items.
 * References in the same run: each request the page made, from Node with a bearer token and by fetch inside the
 * page; for the frames, the same rAF loop without scrolling.
 * Run: `npm run build && node dist/bench/asset-tree.js [assets] [big] [pages]`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { SqliteAssetStore } from '../src/assets/store/sqlite.js';
import { newAssetId, subtreePrefix, type AssetRecord } from '../src/assets/records.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { startServer, type TestServer } from '../test/helpers/server.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const BIG = Number(process.argv[3] ?? 10_000);
const PAGES = Number(process.argv[4] ?? 10);
const LEVELS = 10;
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The big node's tree item, as page script. */
const BIG_LI = `[...document.querySelectorAll('ul[role=tree] > li > ul > li[role=treeitem]')]
  .find((li) => li.querySelector(':scope > button.node')?.textContent === 'A-big')`;
/** Page script: runs `action`, then resolves with the ms until the big node holds `n` items (checked each frame). */
const untilItems = (action: string, n: number) => `new Promise((done) => { const t = performance.now(); ${action};
  const f = () => (${BIG_LI}?.querySelectorAll('li[role=treeitem]').length ?? 0) >= ${n} ? done(performance.now() - t) : requestAnimationFrame(f); f(); })`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** The hierarchy of bench/assets.ts plus a big node; returns the big node's id and a deepest-level asset's name. */
async function seed(s: TestServer): Promise<{ bigId: string; deepName: string }> {
  const T = s.tenant;
  const rootRes = await (await s.api('/api/assetmanagement/v3/assets/root')).json() as { assetId: string };
  const store = s.platform.assets.store as SqliteAssetStore;
  const root = (await store.getAsset(T, rootRes.assetId))!;
  const typeIds = ['core.basicsite', 'core.basicarea', 'core.basicasset'];
  const weights = Array.from({ length: LEVELS - 1 }, (_, i) => 2.2 ** i);
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * (TOTAL - 1 - BIG - 1))));
  sizes[sizes.length - 1]! += TOTAL - 1 - BIG - 1 - sizes.reduce((a, b) => a + b, 0);
  let rnd = 42;
  const next = (n: number) => { rnd = (rnd * 1103515245 + 12345) % 2 ** 31; return rnd % n; };
  let count = 0;
  const record = (parent: AssetRecord, name: string, typeId: string): AssetRecord => ({
    assetId: newAssetId(), tenant: T, name, externalId: `ext-${count++}`, description: '', typeId, parentId: parent.assetId,
    path: subtreePrefix(parent), timezone: 'UTC', twinType: 'performance', subTenant: null, location: null, variables: [],
    aspects: [], fileAssignments: [], etag: 0, deleted: null, createdAt: Date.now(),
  });
  const insert = async (rows: AssetRecord[]) => {
    const pending: Promise<void>[] = [];
    store.db.transaction(() => { for (const a of rows) pending.push(store.createAsset(a)); })();
    await Promise.all(pending);
  };
  // "A-big" sorts before the generated names, so it is on the root's first page of children
  const big = record(root, 'A-big', 'core.basicarea');
  await insert([big]);
  await insert(Array.from({ length: BIG }, (_, i) => record(big, `item-${String(i).padStart(6, '0')}`, 'core.basicasset')));
  let previous: AssetRecord[] = [root];
  for (const size of sizes) {
    const current = Array.from({ length: size }, () => {
      const typeId = typeIds[next(typeIds.length)]!;
      return record(previous[next(previous.length)]!, `${typeId.split('.')[1]}-${String(count).padStart(6, '0')}`, typeId);
    });
    await insert(current);
    previous = current;
  }
  store.analyze();
  return { bigId: big.assetId, deepName: previous[Math.floor(previous.length / 2)]!.name };
}

/** The same request from Node (bearer token) and by fetch in the page (session cookie): medians of RUNS. */
async function references(s: TestServer, page: Page, path: string): Promise<{ node: number; inPage: number }> {
  const token = await s.token();
  const node: number[] = [];
  const inPage: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    await res.text();
    if (res.status !== 200) throw new Error(`reference ${path}: ${res.status}`);
    node.push(performance.now() - t);
    // text, as the bench's own types have no DOM
    inPage.push(await page.evaluate<number>(`(async () => { const t = performance.now();
      const r = await fetch(${JSON.stringify(path)}, { headers: { accept: 'application/json' } });
      if (r.status !== 200) throw new Error('in-page reference: ' + r.status); await r.json(); return performance.now() - t; })()`));
  }
  return { node: median(node), inPage: median(inPage) };
}

/** rAF frame deltas for `frames` frames, scrolling the page by `step` px each frame (0: no scrolling). */
const frameScript = (frames: number, step: number) => `new Promise((done) => {
  const deltas = []; let last = performance.now(); let n = 0;
  const tick = (t) => { deltas.push(t - last); last = t; if (${step}) window.scrollBy(0, ${step});
    if (++n < ${frames}) requestAnimationFrame(tick); else done(deltas); };
  requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
})`;

async function main() {
  const load = os.loadavg()[0]!.toFixed(1);
  const s = await startServer({ sqliteSync: 'normal' });
  const t0 = performance.now();
  const { bigId, deepName } = await seed(s);
  const seedSec = (performance.now() - t0) / 1000;
  const email = 'bench@local.localhost';
  const password = 'correct-horse-battery';
  await s.platform.identity.service.addUser(s.tenant, email, password, 'user');
  const browser = await launchBrowser();
  const out: string[] = [];
  const line = (what: string, v: number, ref: { node: number; inPage: number }) => out.push(`${what}: median ${ms(v)}; `
    + `reference (the page's request) from Node ${ms(ref.node)}, in page ${ms(ref.inPage)}; ratio ${(v / ref.node).toFixed(1)} / ${(v / ref.inPage).toFixed(1)}`);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/api/assetmanagement/v3/assets')) requests.push(new URL(r.url()).pathname + new URL(r.url()).search); });
    const port = new URL(s.url).port;
    const url = `http://${s.tenant}-assetmanager.${s.config.region}.${s.config.domain}:${port}/`;
    await page.goto(url);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    const tree = page.locator('ul[role=tree]');
    const bigItem = tree.locator('li[role=treeitem]', { has: page.locator(':scope > button.node', { hasText: /^A-big$/ }) });
    await bigItem.waitFor();

    // 1. navigation to the root's children
    const nav: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await page.goto(url);
      await bigItem.waitFor();
      nav.push(performance.now() - t);
    }
    const rootKids = requests.filter((r) => r.includes('parentId')).pop()!;
    const rootCount = await tree.locator('li[role=treeitem]').count() - 1;
    line(`navigation to the root's children shown (${rootCount} items)`, median(nav), await references(s, page, rootKids));

    // 2. opening the big node, then its further pages
    const open: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i > 0) { await page.goto(url); await bigItem.waitFor(); }
      open.push(await page.evaluate<number>(untilItems(`${BIG_LI}.querySelector(':scope > button.toggle').click()`, Math.min(100, BIG))));
    }
    const bigFirst = requests.filter((r) => r.includes(bigId)).pop()!;
    line(`open a node with ${BIG.toLocaleString('en')} children, first page shown`, median(open), await references(s, page, bigFirst));
    const more: number[] = [];
    for (let p = 1; p < PAGES; p++) {
      more.push(await page.evaluate<number>(untilItems(`${BIG_LI}.querySelector(':scope > ul > li:last-child > button').click()`,
        Math.min((p + 1) * 100, BIG))));
    }
    const rendered = await page.evaluate<number>(`${BIG_LI}.querySelectorAll('li[role=treeitem]').length`);
    const bigMore = requests.filter((r) => r.includes(bigId)).pop()!;
    if (more.length) line(`"More children…" page shown (pages 2..${PAGES})`, median(more), await references(s, page, bigMore));
    out.push(`DOM with ${rendered} children of the big node rendered: ${await page.evaluate<number>('document.querySelectorAll("*").length')} elements`);

    // 4. scrolling and keyboard through the opened big node
    await page.evaluate(`${BIG_LI}.querySelector('li[role=treeitem] button.node').scrollIntoView()`);
    const idle = await page.evaluate<number[]>(frameScript(120, 0));
    await page.evaluate('window.scrollTo(0, 0)');
    const scroll = await page.evaluate<number[]>(frameScript(120, 200));
    const long = (xs: number[]) => xs.filter((d) => d > 50).length;
    const worst = (xs: number[]) => Math.max(...xs);
    out.push(`scroll 200 px a frame for 120 frames: median frame ${median(scroll).toFixed(1)} ms, worst ${ms(worst(scroll))}, `
      + `long frames (> 50 ms) ${long(scroll)}; reference, the same rAF loop without scrolling: median ${median(idle).toFixed(1)} ms, `
      + `worst ${ms(worst(idle))}, long ${long(idle)}`);
    await page.evaluate(`${BIG_LI}.querySelector('li[role=treeitem] button.node').focus()`);
    let t = performance.now();
    for (let i = 0; i < 50; i++) await page.keyboard.press('Tab');
    const tabs = performance.now() - t;
    const focused = await page.evaluate<string>('document.activeElement?.textContent ?? ""');
    // reference: 50 presses of a key the page ignores (the round trip of playwright's keyboard)
    t = performance.now();
    for (let i = 0; i < 50; i++) await page.keyboard.press('Shift');
    const idleKeys = performance.now() - t;
    out.push(`50 Tab presses through the big node's items: ${ms(tabs)} (${(tabs / 50).toFixed(1)} ms a press, focus on "${focused}"); `
      + `reference, 50 Shift presses: ${ms(idleKeys)}; ratio ${(tabs / idleKeys).toFixed(1)}`);

    // 3. search for a deep asset
    const search: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.fill('input[name=q]', '');
      await page.click('[role=search] button[type=submit]');
      const st = performance.now();
      await page.fill('input[name=q]', deepName);
      await page.click('[role=search] button[type=submit]');
      await page.locator('ul[aria-label="Search results"] button.node', { hasText: deepName }).waitFor();
      search.push(performance.now() - st);
    }
    const searchReq = requests.filter((r) => r.includes('contains')).pop()!;
    line(`search "${deepName}" (level ${LEVELS}) until the hit shows`, median(search), await references(s, page, searchReq));
  } finally {
    await browser.close();
    await s.close();
  }
  console.log(`assets ${TOTAL.toLocaleString('en')} in ${LEVELS} levels + one node with ${BIG.toLocaleString('en')} children (seeded in ${seedSec.toFixed(1)} s), ${RUNS} runs each`);
  for (const l of out) console.log(l);
  console.log(`load average at start ${load}, at end ${os.loadavg()[0]!.toFixed(1)}, cores ${os.cpus().length}`);
}

await main();
