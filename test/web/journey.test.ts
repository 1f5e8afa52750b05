/**
 * The maker journey of "Insights Hub IIoT for Makers" in chromium, every step in the browser as a new user walks
 * it through the gateway (issue 16): log in to the Launchpad; in the Asset Manager create an aspect type, an asset
 * type (and one derived from it, its inherited members marked, then deleted) and an asset, edit the asset's static
 * value; push values over the API (one of bad quality, as a device would) and see them in the Explorer with their
 * quality and export them as CSV; create and publish an OData contract with the wizard (§2.3.3); find it in the
 * Catalog; create binding keys in Service Management (§3) and, from the test as a dashboard would, get a token
 * with them and read the catalog's service URL; upload and download a file in the Data Lake Manager (§2.4.3);
 * create an agent, download its boarding configuration and map a data point to the asset's aspect. A screenshot
 * of each step goes to .tmp/journey (gitignored); no step may log a console error or a CSP violation, and no step
 * provokes a 4xx, so nothing is filtered.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, submitLogin, watchPage } from '../helpers/browser.js';
import { ROOT, useServer } from '../helpers/server.js';
import { put } from '../timeseries/helpers.js';

const TENANT = 'makers';
const EMAIL = 'new.maker@makers.localhost';
const PASSWORD = 'correct-horse-battery';
const SHOTS = path.join(ROOT, '.tmp', 'journey');
const AM = '/api/assetmanagement/v3';

describe('the maker journey in a browser', () => {
  const s = useServer({ tenant: TENANT });
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let assetId = '';
  let serviceUrl = '';
  const port = () => new URL(s().url).port;
  const host = (app: string) => `http://${TENANT}-${app}.local.localhost:${port()}/`;
  /** A GET with a bearer token to a URL on a `*.localhost` host, sent to the server's loopback address. */
  const onGateway = (url: string, token: string, accept = 'application/json') => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(url);
    http.get({ host: '127.0.0.1', port: Number(port()), path: u.pathname + u.search,
      headers: { host: u.host, authorization: `Bearer ${token}`, accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

  before(async () => {
    // the artifacts of this run only
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    await s().platform.identity.service.addUser(TENANT, EMAIL, PASSWORD, 'admin');
    browser = await launchBrowser();
    page = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })).newPage();
    await watchPage(page, problems);
  });
  after(async () => { await browser?.close(); });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const signIn = async () => submitLogin(page, EMAIL, PASSWORD);
  const form = (button: string) => `form:has(button:text-is("${button}"))`;
  const downloaded = async (click: () => Promise<void>): Promise<{ name: string; text: string }> => {
    const [d] = await Promise.all([page.waitForEvent('download'), click()]);
    const file = path.join(SHOTS, d.suggestedFilename());
    await d.saveAs(file);
    return { name: d.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
  };

  it('1 logs in and sees the Launchpad with the standard apps', async () => {
    await page.goto(`http://localhost:${port()}/`);
    await signIn();
    await page.getByTestId('user').waitFor();
    const tiles = await page.locator('.tiles a strong').allTextContents();
    for (const t of ['Asset Manager', 'Explorer', 'Agents']) assert.ok(tiles.includes(t), tiles.join());
    await shot('1-launchpad');
    assert.deepEqual(problems, []);
  });

  it('2 creates an aspect type, asset types and an asset in the Asset Manager and edits its static value', async () => {
    await page.click('.tiles a:has-text("Asset Manager")');
    await signIn();
    await page.getByRole('heading', { name: 'New aspect type' }).waitFor();
    // the card shows … until the contracts list arrived
    await page.getByTestId('contract-count').filter({ hasText: /^\d+$/ }).waitFor();
    assert.equal(await page.getByTestId('contract-count').textContent(), '0');
    await page.fill(`${form('Create aspect type')} input[name=name]`, 'Vibration');
    await page.fill(`${form('Create aspect type')} input[name=variable]`, 'rms');
    await page.fill(`${form('Create aspect type')} input[name=unit]`, 'g');
    await page.click('button:text-is("Create aspect type")');
    await page.locator(`select[name=aspect] option[value="${TENANT}.Vibration"]`).first().waitFor({ state: 'attached' });
    await page.fill(`${form('Create type')} input[name=name]`, 'Motor');
    await page.fill(`${form('Create type')} input[name=variable]`, 'serial');
    await page.selectOption(`${form('Create type')} select[name=aspect]`, `${TENANT}.Vibration`);
    await page.click('button:text-is("Create type")');
    await page.locator(`${form('Create type')} select[name=parent] option[value="${TENANT}.Motor"]`).waitFor({ state: 'attached' });
    // a derived type: what it inherits from Motor is marked so
    await page.fill(`${form('Create type')} input[name=name]`, 'BigMotor');
    await page.selectOption(`${form('Create type')} select[name=parent]`, `${TENANT}.Motor`);
    await page.click('button:text-is("Create type")');
    await page.getByRole('button', { name: 'BigMotor', exact: true }).click();
    const view = page.getByTestId('type-view');
    await view.getByRole('heading', { name: 'Asset type BigMotor', exact: true }).waitFor();
    assert.equal(await view.getByTestId('inherited').count(), 2, 'the aspect and the variable from Motor');
    assert.deepEqual([...new Set(await view.getByTestId('inherited').allTextContents())], [`inherited from ${TENANT}.Motor`]);
    // deleted again: a type without assets goes after a second click
    await view.getByRole('button', { name: 'Delete asset type' }).click();
    await view.getByRole('button', { name: 'Delete BigMotor now' }).click();
    await page.getByRole('button', { name: 'BigMotor', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await s().api(`${AM}/assettypes/${TENANT}.BigMotor`)).status, 404);
    // edit forms of the types: a variable added to the aspect type, a description and a variable to the asset type
    await page.getByRole('button', { name: 'Vibration', exact: true }).click();
    await page.fill(`${form('Save aspect type')} input[name=variable]`, 'peak');
    await page.fill(`${form('Save aspect type')} input[name=unit]`, 'g');
    await page.click('button:text-is("Save aspect type")');
    await page.getByTestId('edit-aspect-type').locator('td', { hasText: /^peak$/ }).waitFor();
    await page.getByRole('button', { name: 'Motor', exact: true }).click();
    await page.getByTestId('type-view').getByRole('heading', { name: 'Asset type Motor', exact: true }).waitFor();
    await page.fill(`${form('Save asset type')} input[name=description]`, 'Electric motors');
    await page.click('button:text-is("Save asset type")');
    await page.getByTestId('type-view').locator('dd', { hasText: 'Electric motors' }).waitFor();
    const motorType = (await (await s().api(`${AM}/assettypes/${TENANT}.Motor`)).json()) as { description: string; aspects: { name: string }[] };
    assert.equal(motorType.description, 'Electric motors');
    assert.deepEqual(motorType.aspects.map((x) => x.name), ['Vibration']);
    const vibration = (await (await s().api(`${AM}/aspecttypes/${TENANT}.Vibration`)).json()) as { variables: { name: string }[] };
    assert.deepEqual(vibration.variables.map((v) => v.name), ['rms', 'peak']);
    // the asset, with its static value, then edited
    await page.selectOption(`${form('Create asset')} select[name=type]`, `${TENANT}.Motor`);
    await page.fill(`${form('Create asset')} input[name=name]`, 'Motor 1');
    await page.fill(`${form('Create asset')} input[name="var.serial"]`, 'M-001');
    await page.click('button:text-is("Create asset")');
    await page.locator('#details', { hasText: 'Motor 1' }).waitFor();
    await page.click('button:text-is("Edit asset")');
    await page.fill(`${form('Save asset')} input[name="var.serial"]`, 'M-002');
    await page.fill(`${form('Save asset')} input[name=description]`, 'Line 1 drive');
    await page.click('button:text-is("Save asset")');
    await page.locator('#details ~ table td', { hasText: 'M-002' }).waitFor();
    await shot('2-asset-manager');
    const found = (await (await s().api(`${AM}/assets?filter=${encodeURIComponent(JSON.stringify({ name: 'Motor 1' }))}`)).json()) as
      { _embedded: { assets: { assetId: string; description: string; variables: { name: string; value: string }[] }[] } };
    const motor = found._embedded.assets[0]!;
    assetId = motor.assetId;
    assert.equal(motor.description, 'Line 1 drive');
    assert.deepEqual(motor.variables, [{ name: 'serial', value: 'M-002' }]);
    assert.deepEqual(problems, []);
  });

  it('3 pushes values over the API and sees them, with their quality, in the Explorer and as CSV', async () => {
    const end = Date.now() - 30_000;
    const records = Array.from({ length: 30 }, (_, i) => ({
      _time: new Date(end - (29 - i) * 60_000).toISOString(), rms: 0.5 + i / 100, ...(i === 10 ? { rms_qc: 2147483648 } : {}) }));
    assert.equal((await put(s(), assetId, 'Vibration', records)).status, 204);
    // the asset's time series at a glance, then the Explorer from its link
    await page.click('.tree button.node:has-text("Motor 1")');
    await page.getByTestId('latest-Vibration-rms').filter({ hasText: '0.79' }).waitFor();
    await page.click('a:has-text("Time series in the Explorer")');
    await signIn();
    await page.locator('select[name=aspect] option[value="Vibration"]').waitFor({ state: 'attached' });
    await page.selectOption('select[name=range]', { label: 'Last hour' });
    await page.click('button:has-text("Plot")');
    await page.getByTestId('chart').locator('canvas').waitFor();
    assert.equal(await page.getByTestId('summary').textContent(), '30 records · rms: 1 not good');
    assert.deepEqual(await page.getByTestId('quality').locator('tbody td').allTextContents(), ['rms', '29', '0', '1', 'peak', '0', '0', '0']);
    await shot('3-explorer');
    const csv = await downloaded(() => page.click('button:text-is("Export CSV")'));
    assert.match(csv.name, /^Vibration-.*\.csv$/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], '_time,rms,rms_qc,peak,peak_qc');
    assert.equal(lines.length, 31);
    assert.equal(lines[11], `${records[10]!._time},0.6,2147483648,,`);
    assert.deepEqual(problems, []);
  });

  it('4 creates and publishes an OData contract with the wizard', async () => {
    await page.goto(host('assetmanager'));
    await page.click('button:text-is("Manage contracts")');
    await page.click('button:text-is("Add contract")');
    const wizard = page.getByTestId('wizard');
    await wizard.getByRole('checkbox', { name: `Motor (${TENANT}.Motor)` }).check();
    await wizard.getByTestId('preview').locator('td', { hasText: /^AGGR_Vibration_Vibration_Motor$/ }).waitFor();
    assert.ok((await wizard.getByTestId('preview').locator('tbody tr td:first-child').allTextContents()).includes('Vibration_Vibration_Motor'));
    await shot('4a-wizard-types');
    await wizard.getByRole('button', { name: 'Next' }).click();
    assert.equal(await wizard.locator('input[name=applicationName]').inputValue(), `mdsp_${TENANT}`);
    await wizard.locator('input[name=name]').fill('Motors');
    await wizard.locator('input[name=description]').fill('Motors of line 1');
    await wizard.getByRole('button', { name: 'Next' }).click();
    assert.equal(await wizard.locator('input[name=action][value=publish]').isChecked(), true, 'publish is preselected');
    await shot('4b-wizard-summary');
    await wizard.getByRole('button', { name: 'Publish' }).click();
    await page.getByTestId('status-Motors').filter({ hasText: 'published' }).waitFor();
    await shot('4c-contracts');
    await page.click('button:text-is("Back to assets")');
    await page.getByTestId('contract-count').filter({ hasText: '1' }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('5 finds the published contract in the Catalog with its service URL and entity sets', async () => {
    await page.goto(host('catalog'));
    await signIn();
    await page.getByRole('search').waitFor();
    await page.fill('input[name=search]', 'motors');
    await page.click('button:has-text("Search")');
    await page.getByTestId('count').filter({ hasText: '1 contract' }).waitFor();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /Motors/ }) });
    const sets = await card.getByRole('list', { name: 'Entity sets of Motors' }).getByRole('listitem').allTextContents();
    assert.ok(sets.includes('AGGR_Vibration_Vibration_Motor'), sets.join());
    assert.ok(sets.includes('Motor'), sets.join());
    serviceUrl = await card.getByLabel('Service URL', { exact: true }).inputValue();
    assert.equal(serviceUrl, `http://gateway.local.localhost:${port()}/api/odata/v4/Motors/1.0.0/`);
    await shot('5-catalog');
    assert.deepEqual(problems, []);
  });

  it('6 creates binding keys in Service Management; with them the test gets a token and reads the service', async () => {
    await page.goto(host('servicemanagement'));
    await signIn();
    await page.getByRole('heading', { name: 'Binding keys' }).waitFor();
    await page.fill('input[name=name]', 'journey-dashboard');
    await page.click('button:has-text("Create binding key")');
    const dialog = page.getByRole('dialog', { name: 'Binding key journey-dashboard' });
    await dialog.waitFor();
    assert.match(await dialog.getByRole('alert').textContent() ?? '', /will not be shown again/);
    const clientId = await dialog.getByTestId('clientId').inputValue();
    const tokenUrl = await dialog.getByTestId('tokenUrl').inputValue();
    const secret = await dialog.getByTestId('clientSecret').inputValue();
    await shot('6-binding-keys');
    await dialog.getByRole('button', { name: /close/ }).click();
    await page.getByRole('row').filter({ hasText: 'journey-dashboard' }).getByTestId('key-state').filter({ hasText: 'Active' }).waitFor();
    // the token request a dashboard makes with the three values shown
    const granted = await fetch(`${tokenUrl}?grant_type=client_credentials`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    });
    assert.equal(granted.status, 200, await granted.clone().text());
    const { access_token: token } = (await granted.json()) as { access_token: string };
    // the service URL of the catalog, on the gateway host (which Node does not resolve: the host header says it)
    const metadata = await onGateway(`${serviceUrl}$metadata`, token, 'application/xml');
    assert.equal(metadata.status, 200, metadata.body);
    assert.match(metadata.body, /EntitySet Name="Motor"/);
    const motors = await onGateway(`${serviceUrl}Motor`, token);
    assert.equal(motors.status, 200, motors.body);
    assert.deepEqual((JSON.parse(motors.body) as { value: { name: string }[] }).value.map((m) => m.name), ['Motor 1']);
    assert.deepEqual(problems, []);
  });

  it('7 uploads a file in the Data Lake Manager and downloads it again', async () => {
    const body = Buffer.from(`inspection of Motor 1 at ${new Date().toISOString()}\n`);
    await page.goto(host('datalake'));
    await signIn();
    await page.getByTestId('dropzone').waitFor();
    await page.fill('input[name=folder]', 'reports');
    await page.click('button:has-text("Open folder")');
    await page.getByRole('heading', { name: 'Upload to reports/' }).waitFor();
    await page.setInputFiles('input[type=file]', { name: 'inspection.txt', mimeType: 'text/plain', buffer: body });
    await page.locator('.uploads li[data-state=done]', { hasText: 'inspection.txt' }).waitFor();
    await page.getByRole('button', { name: 'inspection.txt', exact: true }).waitFor();
    await shot('7-datalake');
    const back = await downloaded(() => page.getByRole('link', { name: 'Download inspection.txt' }).click());
    assert.equal(back.name, 'inspection.txt');
    assert.equal(back.text, body.toString());
    const api = await s().api('/api/datalake/v3/objects/reports/inspection.txt');
    assert.equal(api.status, 200);
    assert.ok(body.equals(Buffer.from(await api.arrayBuffer())), 'the data lake holds the uploaded bytes');
    assert.deepEqual(problems, []);
  });

  it('8 creates an agent for the asset and downloads its boarding configuration in the Agents app', async () => {
    await page.goto(host('agents'));
    await signIn();
    await page.getByRole('heading', { name: 'New agent' }).waitFor();
    await page.locator(`select[name=entity] option[value="${assetId}"]`).waitFor({ state: 'attached' });
    await page.fill(`${form('Create agent')} input[name=name]`, 'Edge1');
    await page.selectOption(`${form('Create agent')} select[name=entity]`, assetId);
    await page.click('button:text-is("Create agent")');
    await page.getByTestId('boarding-Edge1').filter({ hasText: 'not onboarded' }).waitFor();
    assert.equal(await page.getByTestId('status-Edge1').textContent(), 'offline');
    const config = await downloaded(() => page.click('button:text-is("Boarding configuration of Edge1")'));
    assert.equal(config.name, 'Edge1-boarding.json');
    const parsed = JSON.parse(config.text) as { content: { clientCredentialProfile: string[]; clientId: string; iat: string } };
    assert.equal(parsed.content.clientId, assetId);
    assert.ok(parsed.content.iat.length > 20);
    await page.getByRole('heading', { name: 'Data point mappings of Edge1' }).waitFor();
    // the agent uploads its data source configuration (over the API, as an agent does); the user maps its point
    const cfg = await s().api(`/api/agentmanagement/v3/agents/${assetId}/dataSourceConfiguration`, { method: 'PUT', headers: { 'if-match': '0', 'content-type': 'application/json' },
      body: JSON.stringify({ configurationId: 'cfg1', dataSources: [{ name: 'plc', dataPoints: [{ id: 'dp1', name: 'vibration-rms', type: 'DOUBLE', unit: 'g' }] }] }) });
    assert.equal(cfg.status, 200, await cfg.text());
    await page.reload();
    await page.getByRole('button', { name: 'Mappings of Edge1' }).click();
    await page.locator(`${form('Map data point')} select[name=dataPoint] option[value=dp1]`).waitFor({ state: 'attached' });
    await page.locator(`${form('Map data point')} select[name=variable] option`, { hasText: 'rms' }).first().waitFor({ state: 'attached' });
    await page.selectOption(`${form('Map data point')} select[name=variable]`, 'rms');
    await page.click('button:text-is("Map data point")');
    await page.getByTestId('mappings').locator('td', { hasText: 'Vibration.rms' }).waitFor();
    assert.equal(await page.getByTestId('mappings').locator('td', { hasText: /^vibration-rms$/ }).count(), 1);
    assert.equal(await page.getByTestId('mappings').locator('td', { hasText: /^valid$/ }).count(), 1);
    await shot('8-agents');
    assert.deepEqual(problems, []);
  });
});
