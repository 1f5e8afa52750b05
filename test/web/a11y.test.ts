/**
 * Every standard app page in chromium (Launchpad, Asset Manager with its contract wizard, Explorer with a chart,
 * Agents, Data Lake Manager empty and with the folder tree of its oData Contract wizard, Catalog, Service
 * Management): axe-core finds no serious or critical violation (WCAG 2 A/AA rules, colour contrast included) in the
 * light and the dark theme, which follow the system (prefers-color-scheme); at 1280 px and at phone width (375 px)
 * the page does not scroll sideways; the asset tree and the forms work from the keyboard alone. No console error
 * and no CSP violation (axe is evaluated over CDP, so the pages keep their CSP).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { aspectType, call } from '../assets/helpers.js';
import { putObject } from '../datalake/helpers.js';
import { launchBrowser, submitLogin, watchPage } from '../helpers/browser.js';
import { ROOT, useServer } from '../helpers/server.js';
import { makeAsset, put } from '../timeseries/helpers.js';

const TENANT = 'access';
const EMAIL = 'keyboard@access.localhost';
const PASSWORD = 'correct-horse-battery';
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const SHOTS = path.join(ROOT, '.tmp', 'a11y');

interface Violation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

describe('accessibility, phone width and themes of every page', () => {
  const s = useServer({ tenant: TENANT });
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let assetId = '';
  const host = (app: string) => `http://${TENANT}-${app}.local.localhost:${new URL(s().url).port}`;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    await s().platform.identity.service.addUser(TENANT, EMAIL, PASSWORD, 'admin');
    assetId = await makeAsset(s(), 'Press', { variables: [{ name: 'force', dataType: 'DOUBLE', unit: 'kN', qualityCode: true }] });
    const end = Date.now() - 60_000;
    assert.equal((await put(s(), assetId, 'Env', Array.from({ length: 20 }, (_, i) => ({
      _time: new Date(end - (19 - i) * 30_000).toISOString(), force: i, ...(i === 3 ? { force_qc: 1073741824 } : {}) })))).status, 204);
    assert.equal((await s().api('/api/agentmanagement/v3/agents', { method: 'POST',
      body: JSON.stringify({ name: 'PressAgent', entityId: assetId, securityProfile: 'SHARED_SECRET' }) })).status, 201);
    browser = await launchBrowser();
    page = await browser.newPage();
    await watchPage(page, problems);
    // sessions are per app host: sign in to each once
    for (const app of ['launchpad', 'assetmanager', 'explorer', 'agents', 'datalake', 'catalog', 'servicemanagement']) {
      await page.goto(`${host(app)}/`);
      await submitLogin(page, EMAIL, PASSWORD);
      await page.getByTestId('user').waitFor();
    }
  });
  after(async () => { await browser?.close(); });

  const axe = async (): Promise<Violation[]> => {
    // page.evaluate with text: the test's own types have no DOM
    if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(AXE);
    return page.evaluate<Violation[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)");
  };
  const check = async (what: string) => {
    const serious = (await axe()).filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    if (scroll > client) serious.push(`${what}: scrolls sideways (${scroll} px of content in ${client} px)`);
    return serious;
  };

  /** Each page in the state worth checking: the Explorer with a chart, the Asset Manager with the wizard's alias field. */
  const visits: [string, () => Promise<void>][] = [
    ['launchpad', async () => { await page.goto(`${host('launchpad')}/`); await page.locator('.tiles a').first().waitFor(); }],
    ['assetmanager', async () => {
      await page.goto(`${host('assetmanager')}/`);
      await page.getByRole('heading', { name: 'New asset type' }).waitFor();
      await page.locator('.tree button.node', { hasText: 'Press' }).waitFor();
    }],
    ['assetmanager-asset', async () => {
      await page.click('.tree button.node:has-text("Press")');
      await page.locator('#details', { hasText: 'Press' }).waitFor();
      await page.getByTestId('latest-Env-force').filter({ hasText: '19' }).waitFor();
    }],
    ['assetmanager-wizard', async () => {
      await page.click('button:text-is("Manage contracts")');
      await page.click('button:text-is("Add contract")');
      await page.getByTestId('wizard').getByRole('checkbox').first().check();
      await page.getByTestId('preview').waitFor();
    }],
    ['explorer', async () => {
      await page.goto(`${host('explorer')}/?${new URLSearchParams({ asset: assetId, aspect: 'Env' })}`);
      await page.locator('select[name=aspect] option[value="Env"]').waitFor({ state: 'attached' });
      await page.selectOption('select[name=range]', { label: 'Last hour' });
      await page.click('button:has-text("Plot")');
      await page.getByTestId('chart').locator('canvas').waitFor();
    }],
    ['agents', async () => { await page.goto(`${host('agents')}/`); await page.getByTestId('boarding-PressAgent').filter({ hasText: /board/ }).waitFor(); }],
    ['datalake', async () => {
      // the empty state: the folder the wizard visit below puts in goes first (implicit folders go with their last object)
      assert.ok([204, 404].includes((await s().api('/api/datalake/v3/objects/plant/line1/x.csv', { method: 'DELETE' })).status));
      await page.goto(`${host('datalake')}/`);
      await page.getByTestId('dropzone').waitFor();
      await page.getByTestId('empty').waitFor();
    }],
    ['datalake-wizard', async () => {
      await putObject(s(), 'plant/line1/x.csv', 'x');
      await page.goto(`${host('datalake')}/`);
      await page.getByRole('button', { name: 'Create oData contract' }).click();
      await page.getByTestId('dlc-wizard').getByLabel('Name', { exact: true }).fill('A11y');
      await page.getByTestId('dlc-wizard').getByRole('button', { name: 'Next' }).click();
      await page.getByRole('button', { name: 'Open plant/', exact: true }).click();
      await page.getByLabel('plant/line1/', { exact: true }).check();
    }],
    ['catalog', async () => { await page.goto(`${host('catalog')}/`); await page.locator('[data-testid=empty], [data-testid=count]').first().waitFor(); }],
    ['servicemanagement', async () => {
      await page.goto(`${host('servicemanagement')}/`);
      await page.getByRole('heading', { name: 'Binding keys' }).waitFor();
      await page.locator('[data-testid=empty], [data-testid=key-state]').first().waitFor();
    }],
  ];

  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [1280, 375]) {
      it(`has no serious axe violation and no sideways scrolling at ${width} px in the ${scheme} theme`, async () => {
        await page.emulateMedia({ colorScheme: scheme });
        await page.setViewportSize({ width, height: 800 });
        const found: string[] = [];
        for (const [name, visit] of visits) {
          await visit();
          found.push(...(await check(`${name} ${width}px ${scheme}`)));
          await page.screenshot({ path: path.join(SHOTS, `${name}-${width}-${scheme}.png`), fullPage: true });
        }
        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        assert.equal(background, scheme === 'dark' ? 'rgb(21, 24, 28)' : 'rgb(255, 255, 255)', 'the theme follows the system');
        assert.deepEqual(found, []);
        assert.deepEqual(problems, []);
      });
    }
  }

  it('shows a too-long AGGR_ name on its alias field before submit, and the offered alias clears it', async () => {
    const aspectName = `Vibration${'X'.repeat(48)}`;
    const typeName = `Compressor${'Y'.repeat(50)}`;
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${TENANT}.Spectrum`, aspectType('Spectrum', 'dynamic', [{ name: 'rms', dataType: 'DOUBLE', unit: 'g' }]), { 'if-none-match': '*' })).status, 201);
    assert.equal((await call(s(), 'PUT', `/assettypes/${TENANT}.Compressor`, { name: typeName, parentTypeId: 'core.basicasset',
      aspects: [{ name: aspectName, aspectTypeId: `${TENANT}.Spectrum` }] }, { 'if-none-match': '*' })).status, 201);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${host('assetmanager')}/`);
    await page.click('button:text-is("Manage contracts")');
    await page.click('button:text-is("Add contract")');
    const wizard = page.getByTestId('wizard');
    await wizard.getByRole('checkbox', { name: `${typeName} (${TENANT}.Compressor)` }).check();
    const aggr = `AGGR_Spectrum_${aspectName}_${typeName}`;
    const alias = wizard.locator(`input[name="alias.${aggr}"]`);
    await alias.waitFor();
    assert.equal(await alias.getAttribute('aria-invalid'), 'true');
    const rule = page.locator(`[id="${await alias.getAttribute('aria-describedby')}"]`);
    assert.ok((await rule.textContent() ?? '').includes(`"${aggr}" has ${aggr.length} characters; an OData (CSDL) identifier may have at most 128`));
    assert.equal(await wizard.getByRole('button', { name: 'Next' }).isDisabled(), true, 'no submit while a name breaks a rule');
    assert.deepEqual(await check('wizard with an alias field 375px'), []);
    await page.screenshot({ path: path.join(SHOTS, 'wizard-alias-375.png'), fullPage: true });
    await wizard.getByRole('button', { name: 'Use the suggestion' }).click();
    await alias.waitFor({ state: 'detached' });
    await wizard.getByTestId('preview').locator('td', { hasText: /^AGGR_Spectrum_VibrationX+_Compressor/ }).waitFor();
    assert.equal(await wizard.getByRole('button', { name: 'Next' }).isDisabled(), false);
    assert.deepEqual(problems, []);
  });

  it('works from the keyboard: Tab reaches the tree, arrows move and open, Enter selects a node, a form submits with Enter', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${host('assetmanager')}/`);
    await page.locator('.tree button.node', { hasText: 'Press' }).waitFor();
    const focused = () => page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
    const inTree = () => page.evaluate<boolean>("!!document.activeElement?.closest('[role=tree]')");
    const rootName = (await page.locator('[role=tree] > [role=treeitem] > button.node').textContent())?.trim() ?? '';
    const expanded = () => page.locator('[role=tree] > [role=treeitem]').getAttribute('aria-expanded');
    let steps = 0;
    while (!(await inTree()) && steps++ < 30) await page.keyboard.press('Tab');
    // one Tab stop in the tree (roving tabindex): the root, not every node and toggle
    assert.equal(await focused(), rootName, 'Tab reaches the tree at its root');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'Press', 'Down moves to the next visible node');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(), rootName, 'Left on a closed node moves to its parent');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await expanded(), 'false', 'Left on an open node closes it');
    await page.keyboard.press('ArrowRight');
    assert.equal(await expanded(), 'true', 'Right on a closed node opens it');
    await page.locator('.tree button.node', { hasText: 'Press' }).waitFor();
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'Press', 'Right on an open node moves to its first child');
    await page.keyboard.press('Tab');
    assert.equal(await inTree(), false, 'Tab leaves the tree');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'Press', 'Shift+Tab comes back to the node that had the focus');
    await page.keyboard.press('Enter');
    await page.locator('#details', { hasText: 'Press' }).waitFor();
    // a visible focus ring on the focused control
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.equal(outline, 'solid');
    // the search form: type and Enter
    await page.focus('input[name=q]');
    await page.keyboard.type('Pre');
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Search results' }).getByRole('button', { name: 'Press' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
