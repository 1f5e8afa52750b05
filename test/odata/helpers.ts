/**
 * Fixture of the OData tests: a three-level asset type family (Turbine → CNGTurbine → LPGTurbine) with a static
 * and a dynamic aspect, assets in a hierarchy, time series and their aggregates, and a published contract.
 */
import type { TestServer } from '../helpers/server.js';
import { aspectType, call, createAsset, rootId } from '../assets/helpers.js';
import { TS } from '../timeseries/helpers.js';

export const REG = '/api/odatacontracts/v1';
export const START = Date.parse('2024-03-01T00:00:00.000Z');

export interface Fixture {
  root: string;
  plant: string;
  t1: string;
  c1: string;
  c2: string;
  l1: string;
  contractId: string;
  service: string;
  /** Records per asset of PrimaryMotor (one per minute from START + 1 min). */
  records: number;
}

export async function json(res: Response): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

async function ok(r: { status: number; body: unknown }, what: string, ...expected: number[]): Promise<void> {
  if (!expected.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function putTypes(s: TestServer): Promise<void> {
  const T = s.tenant;
  const create = { 'if-none-match': '*' };
  await ok(await call(s, 'PUT', `/aspecttypes/${T}.PowerConsumption`, aspectType('PowerConsumption', 'dynamic', [
    { name: 'current', dataType: 'DOUBLE', unit: 'A', qualityCode: true },
    { name: 'voltage', dataType: 'DOUBLE', unit: 'V' },
    { name: 'state', dataType: 'STRING', length: 16, unit: '' },
  ]), create), 'aspect type', 201);
  await ok(await call(s, 'PUT', `/aspecttypes/${T}.Nameplate`, aspectType('Nameplate', 'static', [
    { name: 'serial', dataType: 'STRING', length: 32, unit: '' },
    { name: 'ratedPower', dataType: 'DOUBLE', unit: 'kW', defaultValue: '5' },
  ]), create), 'static aspect type', 201);
  await ok(await call(s, 'PUT', `/assettypes/${T}.Turbine`, { name: 'Turbine', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'PrimaryMotor', aspectTypeId: `${T}.PowerConsumption` }, { name: 'plate', aspectTypeId: `${T}.Nameplate` }],
    variables: [{ name: 'site', dataType: 'STRING', length: 40, unit: '', defaultValue: 'north' }] }, create), 'Turbine', 201);
  await ok(await call(s, 'PUT', `/assettypes/${T}.CNGTurbine`, { name: 'CNGTurbine', parentTypeId: `${T}.Turbine`,
    variables: [{ name: 'gas', dataType: 'STRING', length: 20, unit: '' }] }, create), 'CNGTurbine', 201);
  await ok(await call(s, 'PUT', `/assettypes/${T}.LPGTurbine`, { name: 'LPGTurbine', parentTypeId: `${T}.CNGTurbine`,
    aspects: [{ name: 'Aux', aspectTypeId: `${T}.PowerConsumption` }] }, create), 'LPGTurbine', 201);
}

export async function putRecords(s: TestServer, assetId: string, aspect: string, n: number, offset = 0): Promise<void> {
  const records = Array.from({ length: n }, (_, i) => ({
    _time: new Date(START + (i + 1) * 60_000).toISOString(),
    current: offset + i * 0.5, current_qc: i % 3 === 0 ? 1 << 30 : 0, voltage: 230 + (i % 7), state: i % 2 ? 'run' : 'idle',
  }));
  for (let i = 0; i < records.length; i += 500) {
    const res = await s.api(`${TS}/${assetId}/${aspect}`, { method: 'PUT', body: JSON.stringify(records.slice(i, i + 500)) });
    if (res.status !== 204 && res.status !== 200) throw new Error(`put records: ${res.status} ${await res.text()}`);
  }
}

export async function buildFixture(s: TestServer, records = 30): Promise<Fixture> {
  const T = s.tenant;
  await putTypes(s);
  const root = await rootId(s);
  const plant = (await createAsset(s, 'Plant', 'core.basicsite', root)).assetId as string;
  const t1 = (await createAsset(s, 'Turbine one', `${T}.Turbine`, plant, { aspects: [{ name: 'plate', variables: [{ name: 'serial', value: 'T-1' }] }] })).assetId as string;
  const c1 = (await createAsset(s, 'CNG one', `${T}.CNGTurbine`, plant, { variables: [{ name: 'gas', value: 'methane' }] })).assetId as string;
  const c2 = (await createAsset(s, 'CNG two', `${T}.CNGTurbine`, t1, { timezone: 'Europe/Berlin' })).assetId as string;
  const l1 = (await createAsset(s, 'LPG one', `${T}.LPGTurbine`, c1, { variables: [{ name: 'site', value: 'south' }] })).assetId as string;
  for (const [id, off] of [[t1, 0], [c1, 100], [l1, 200]] as const) await putRecords(s, id, 'PrimaryMotor', records, off);
  await putRecords(s, l1, 'Aux', 10, 300);
  const r = await s.api(`${REG}/contracts`, { method: 'POST', body: JSON.stringify({
    name: 'Turbines', version: '1.0.0', description: 'turbines and their power', environmentName: 'dev', environmentType: 'sandbox',
    assetTypes: [`${T}.Turbine`, `${T}.CNGTurbine`, `${T}.LPGTurbine`], publish: true,
  }) });
  const body = await json(r);
  if (r.status !== 201) throw new Error(`contract: ${r.status} ${JSON.stringify(body)}`);
  return { root, plant, t1, c1, c2, l1, contractId: body.id, service: '/api/odata/v4/Turbines/1.0.0/', records };
}
