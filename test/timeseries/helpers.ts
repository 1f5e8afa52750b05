/** Shared helpers of the time series tests: a dynamic aspect on an asset, created through Asset Management. */
import type { TestServer } from '../helpers/server.js';
import { aspectType, call, createAsset, rootId } from '../assets/helpers.js';

export const TS = '/api/iottimeseries/v3/timeseries';
export const AGG4 = '/api/iottsaggregates/v4/aggregates';
export const AGG3 = '/api/iottsaggregates/v3/aggregates';

export const VARIABLES = [
  { name: 'temperature', dataType: 'DOUBLE', unit: 'C', qualityCode: true },
  { name: 'count', dataType: 'INT', unit: '' },
  { name: 'total', dataType: 'LONG', unit: '' },
  { name: 'on', dataType: 'BOOLEAN', unit: '' },
  { name: 'label', dataType: 'STRING', length: 8, unit: '' },
  { name: 'note', dataType: 'BIG_STRING', length: 1000, unit: '' },
  { name: 'seen', dataType: 'TIMESTAMP', unit: '' },
];

/** Creates aspect type `{T}.{aspect}` (dynamic, VARIABLES or given), asset type and an asset; returns its id. */
export async function makeAsset(s: TestServer, name: string, options: { timezone?: string; aspect?: string; variables?: unknown[] } = {}): Promise<string> {
  const T = s.tenant;
  const aspect = options.aspect ?? 'Env';
  const at = await call(s, 'PUT', `/aspecttypes/${T}.${aspect}`, aspectType(aspect, 'dynamic', options.variables ?? VARIABLES), { 'if-none-match': '*' });
  if (at.status !== 201 && at.status !== 409 && at.status !== 412) throw new Error(`aspect type: ${at.status} ${JSON.stringify(at.body)}`);
  const typeName = `Type${aspect}`;
  const ty = await call(s, 'PUT', `/assettypes/${T}.${typeName}`, { name: typeName, parentTypeId: 'core.basicasset',
    aspects: [{ name: aspect, aspectTypeId: `${T}.${aspect}` }] }, { 'if-none-match': '*' });
  if (ty.status !== 201 && ty.status !== 409 && ty.status !== 412) throw new Error(`asset type: ${ty.status} ${JSON.stringify(ty.body)}`);
  const root = await rootId(s);
  const asset = await createAsset(s, name, `${T}.${typeName}`, root, options.timezone ? { timezone: options.timezone } : {});
  return asset.assetId as string;
}

export async function json(res: Response): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

export function put(s: TestServer, assetId: string, aspect: string, records: unknown): Promise<Response> {
  return s.api(`${TS}/${assetId}/${aspect}`, { method: 'PUT', body: JSON.stringify(records) });
}
