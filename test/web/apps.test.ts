/**
 * The standard web apps in chromium, through the gateway as a new user meets them: `/` on the gateway host leads to
 * the Launchpad's login, the Launchpad shows the user and the apps, the Asset Manager creates an aspect type, an
 * asset type and an asset and shows it in the tree (a page of children at a time), its search finds an asset and
 * the Explorer plots the asset's aspect from records (with a live tail) and from aggregates, logout ends the session. No console error
 * and no CSP violation on the way.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, submitLogin, watchPage } from '../helpers/browser.js';
import { ROOT, useServer } from '../helpers/server.js';
import { makeAsset, put } from '../timeseries/helpers.js';

const TENANT = 'webshop';
const EMAIL = 'maker@webshop.localhost';
const PASSWORD = 'correct-horse-battery';
/** Screenshots of each step, kept as test artifacts (.tmp is not committed). */
const SHOTS = path.join(ROOT, '.tmp', 'web-screenshots');

describe('standard web apps in a browser', () => {
  const s = useServer({ tenant: TENANT });
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    await s().platform.identity.service.addUser(TENANT, EMAIL, PASSWORD, 'admin');
    browser = await launchBrowser();
    page = await browser.newPage();
    await watchPage(page, problems);
  });
  after(async () => { await browser?.close(); });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  const signIn = async () => submitLogin(page, EMAIL, PASSWORD);

  it('leads from the gateway host to the Launchpad, behind the login', async () => {
    const port = new URL(s().url).port;
    await page.goto(`http://localhost:${port}/`);
    assert.equal(new URL(page.url()).host, `${TENANT}-launchpad.local.localhost:${port}`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await signIn();
    await page.getByTestId('user').waitFor();
    assert.equal(await page.getByTestId('user').textContent(), EMAIL);
    const tiles = await page.locator('.tiles a strong').allTextContents();
    assert.deepEqual(tiles.slice(0, 2), ['Asset Manager', 'Explorer']);
    await shot('1-launchpad');
    assert.deepEqual(problems, []);
  });

  it('creates an aspect type, an asset type and an asset in the Asset Manager and shows the asset in the tree', async () => {
    await page.click('.tiles a:has-text("Asset Manager")');
    // sessions are per web app host: the Asset Manager has its own sign-in
    await signIn();
    await page.getByRole('heading', { name: 'New asset type' }).waitFor();
    const aspectForm = 'form:has(button:has-text("Create aspect type"))';
    await page.fill(`${aspectForm} input[name=name]`, 'Flow');
    await page.fill(`${aspectForm} input[name=variable]`, 'rate');
    await page.fill(`${aspectForm} input[name=unit]`, 'l/s');
    await page.click('button:has-text("Create aspect type")');
    await page.locator(`select[name=aspect] option[value="${TENANT}.Flow"]`).waitFor({ state: 'attached' });
    await page.selectOption('select[name=aspect]', `${TENANT}.Flow`);
    await page.fill('form:has(button:has-text("Create type")) input[name=name]', 'Pump');
    await page.fill('form:has(button:has-text("Create type")) input[name=variable]', 'serial');
    await page.click('button:has-text("Create type")');
    await page.locator(`select[name=type] option[value="${TENANT}.Pump"]`).waitFor({ state: 'attached' });
    await page.fill('form:has(button:has-text("Create asset")) input[name=name]', 'Pump 7');
    await page.fill('form:has(button:has-text("Create asset")) input[name="var.serial"]', 'SN-7');
    await page.click('button:has-text("Create asset")');
    await page.locator('.tree button.node', { hasText: 'Pump 7' }).waitFor();
    await page.locator('#details', { hasText: 'Pump 7' }).waitFor();
    assert.equal(await page.getByTestId('asset-type').textContent(), `${TENANT}.Pump`);
    await page.locator('#details ~ table td', { hasText: 'SN-7' }).waitFor();
    await page.locator('#details ~ div', { hasText: `Flow (${TENANT}.Flow)` }).locator('td', { hasText: 'l/s' }).waitFor();
    await shot('2-asset-manager');
    // what the UI shows is what the API holds
    const res = await s().api(`/api/assetmanagement/v3/assets?filter=${encodeURIComponent(JSON.stringify({ name: 'Pump 7' }))}`);
    const assets = ((await res.json()) as { _embedded?: { assets: { typeId: string; variables: unknown[] }[] } })._embedded?.assets ?? [];
    assert.deepEqual(assets.map((a) => [a.typeId, a.variables]), [[`${TENANT}.Pump`, [{ name: 'serial', value: 'SN-7' }]]]);
    assert.deepEqual(problems, []);
  });

  it("finds an asset by name and plots its aspect in the Explorer, from raw records for an hour and from aggregates for a week", async () => {
    const assetId = await makeAsset(s(), 'Boiler', { variables: [{ name: 'temperature', dataType: 'DOUBLE', unit: 'C' }] });
    const end = Date.now() - 60_000;
    const records = Array.from({ length: 120 }, (_, i) => ({ _time: new Date(end - (119 - i) * 10_000).toISOString(), temperature: 20 + (i % 7) }));
    assert.equal((await put(s(), assetId, 'Env', records)).status, 204);
    // a fake clock in the page, so the live tail's timer runs when the test says (time still flows)
    await page.clock.install();
    // found by the Asset Manager's search, opened in the Explorer from the asset's aspect
    await page.fill('input[name=q]', 'oile');
    await page.click('button:has-text("Search")');
    await page.getByRole('list', { name: 'Search results' }).getByRole('button', { name: 'Boiler' }).click();
    await page.locator('#details', { hasText: 'Boiler' }).waitFor();
    await page.click('a:has-text("Time series in the Explorer")');
    await signIn();
    await page.locator(`select[name=asset] option[value="${assetId}"]`).waitFor({ state: 'attached' });
    await page.locator('select[name=aspect] option[value="Env"]').waitFor({ state: 'attached' });
    assert.equal(await page.inputValue('select[name=asset]'), assetId);
    assert.equal(await page.inputValue('select[name=aspect]'), 'Env');
    await page.selectOption('select[name=range]', { label: 'Last hour' });
    await page.click('button:has-text("Plot")');
    await page.getByTestId('chart').locator('canvas').waitFor();
    assert.equal(await page.getByTestId('summary').textContent(), '120 records');
    await page.check('input[name=live]');
    const tail = Array.from({ length: 5 }, (_, i) => ({ _time: new Date(end + (i + 1) * 1000).toISOString(), temperature: 30 }));
    assert.equal((await put(s(), assetId, 'Env', tail)).status, 204);
    await page.clock.runFor(5000);
    await page.getByTestId('summary').filter({ hasText: /^125 records$/ }).waitFor();
    await shot('3-explorer');
    await page.uncheck('input[name=live]');
    // a custom range of the last 10 of the 120 records (datetime-local is local time, as the browser formats it)
    const local = (ms: number) => page.evaluate((t) => {
      const d = new Date(t);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }, ms);
    await page.selectOption('select[name=range]', { label: 'Custom' });
    await page.fill('input[name=from]', await local(Math.floor((end - 95_000) / 1000) * 1000));
    await page.fill('input[name=to]', await local(Math.floor(end / 1000) * 1000 + 1000));
    await page.click('button:has-text("Plot")');
    await page.getByTestId('summary').filter({ hasText: /^10 records$/ }).waitFor();
    await page.selectOption('select[name=range]', { label: 'Last week' });
    await page.click('button:has-text("Plot")');
    await page.getByTestId('summary').filter({ hasText: 'intervals (averages)' }).waitFor();
    assert.match(await page.getByTestId('summary').textContent() ?? '', /^[12] intervals \(averages\)$/);
    assert.deepEqual(problems, []);
  });

  it('opens a node with more children than a page a page at a time', async () => {
    const root = (await (await s().api('/api/assetmanagement/v3/assets/root')).json()) as { assetId: string };
    const create = async (name: string, parentId: string) => {
      const res = await s().api('/api/assetmanagement/v3/assets', { method: 'POST', body: JSON.stringify({ name, typeId: `${TENANT}.Pump`, parentId }) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { assetId: string }).assetId;
    };
    const line = await create('Line', root.assetId);
    for (let i = 0; i < 101; i++) await create(`Station ${String(i).padStart(3, '0')}`, line);
    await page.goto(page.url().replace(/\/\/[a-z0-9]+-explorer\./, `//${TENANT}-assetmanager.`).replace(/\?.*$/, ''));
    await page.click('button[aria-label="Open Line"]');
    const stations = page.locator('.tree button.node', { hasText: /^Station / });
    await page.locator('.tree button.node', { hasText: 'Station 099' }).waitFor();
    assert.equal(await stations.count(), 100);
    await page.click('button:has-text("More children…")');
    await page.locator('.tree button.node', { hasText: 'Station 100' }).waitFor();
    assert.equal(await stations.count(), 101);
    assert.equal(await page.locator('button:has-text("More children…")').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('deletes the asset and logs out', async () => {
    await page.click('.tree button.node:has-text("Pump 7")');
    await page.click('button:has-text("Delete asset")');
    await page.click('button:has-text("Delete Pump 7 now")');
    await page.locator('.tree button.node', { hasText: 'Pump 7' }).waitFor({ state: 'detached' });
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/login$/);
    await page.goto(new URL('/', page.url()).toString());
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.deepEqual(problems, []);
  });
});
