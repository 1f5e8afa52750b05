/**
 * Data source configurations (Agent Management API v3 "dataSourceConfiguration") and data point mappings
 * (MindConnect API v3 "dataPointMappings"). A configuration is answered with 200 and no data sources before the
 * first PUT (the SDK reads before it writes); PUT takes If-Match. A mapping joins a data point of the agent to a
 * variable of a dynamic aspect of an asset: types and units must match, a variable takes at most one data point,
 * a data point at most one variable of an aspect of an asset, an equal mapping is 409. Validity is computed when
 * read, so a later configuration change shows as INVALID with the reason.
 */
import { randomUUID } from 'node:crypto';
import { parseFilter, evaluate, type Scalar } from '../core/filter.js';
import type { AssetLookup, ModelAsset, VariableDataType } from '../core/model.js';
import { AgentErrors } from './errors.js';
import { type AgentService, ifMatchOf, objectBody, pageParams, springPage, type SpringPage } from './service.js';
import { AgentDuplicateError, type AgentRecord, type AgentStore, type MappingRecord } from './store.js';

export const DATA_POINT_TYPES: readonly VariableDataType[] = ['INT', 'LONG', 'DOUBLE', 'BOOLEAN', 'STRING', 'BIG_STRING', 'TIMESTAMP'];

export interface DataPoint { id: string; name: string; description?: string; type: VariableDataType; unit: string; customData?: Record<string, unknown> }
export interface DataSource { name: string; description?: string; dataPoints: DataPoint[]; customData?: Record<string, unknown> }
export interface DataSourceConfiguration { id: string; eTag: string; configurationId: string; dataSources: DataSource[]; customData?: Record<string, unknown> }

export interface MappingView {
  id: string; agentId: string; dataPointId: string; dataPointUnit: string | null; dataPointType: string | null; entityId: string;
  propertySetName: string; propertyName: string; propertyUnit: string | null; propertyType: string | null; qualityEnabled: boolean;
  keepMapping: boolean; validity: { status: 'VALID' | 'INVALID'; reasons: string[] };
}

const str = (v: unknown, field: string, max: number, optional = false): string => {
  if (v === undefined && optional) return '';
  if (typeof v !== 'string' || v.length > max) throw AgentErrors.invalid(field, `must be a string of at most ${max} characters`);
  return v;
};

const customData = (v: unknown, field: string): Record<string, unknown> | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw AgentErrors.invalid(field, 'must be an object');
  if (Object.keys(v).length > 5) throw AgentErrors.invalid(field, 'holds at most 5 entries');
  return v as Record<string, unknown>;
};

/** Checks a configuration body and returns it normalised (data point ids unique within the agent). */
export function checkConfiguration(body: unknown): Omit<DataSourceConfiguration, 'id' | 'eTag'> {
  const b = objectBody(body);
  const configurationId = str(b['configurationId'], 'configurationId', 128);
  if (!Array.isArray(b['dataSources'])) throw AgentErrors.invalid('dataSources', 'must be an array');
  const ids = new Set<string>();
  const dataSources = b['dataSources'].map((ds: unknown, i: number): DataSource => {
    const f = `dataSources[${i}]`;
    const d = objectBody(ds);
    if (!Array.isArray(d['dataPoints'])) throw AgentErrors.invalid(`${f}.dataPoints`, 'must be an array');
    const dataPoints = d['dataPoints'].map((dp: unknown, j: number): DataPoint => {
      const g = `${f}.dataPoints[${j}]`;
      const p = objectBody(dp);
      const id = str(p['id'], `${g}.id`, 128);
      if (id === '') throw AgentErrors.invalid(`${g}.id`, 'must not be empty');
      if (ids.has(id)) throw AgentErrors.invalid(`${g}.id`, `"${id}" is used by another data point of this agent`);
      ids.add(id);
      const type = p['type'];
      if (typeof type !== 'string' || !DATA_POINT_TYPES.includes(type as VariableDataType)) {
        throw AgentErrors.invalid(`${g}.type`, `must be one of ${DATA_POINT_TYPES.join(', ')}`);
      }
      const cd = customData(p['customData'], `${g}.customData`);
      return { id, name: str(p['name'], `${g}.name`, 128), description: str(p['description'], `${g}.description`, 256, true),
        type: type as VariableDataType, unit: str(p['unit'] ?? '', `${g}.unit`, 32), ...(cd ? { customData: cd } : {}) };
    });
    const cd = customData(d['customData'], `${f}.customData`);
    return { name: str(d['name'], `${f}.name`, 128), description: str(d['description'], `${f}.description`, 256, true), dataPoints,
      ...(cd ? { customData: cd } : {}) };
  });
  const cd = customData(b['customData'], 'customData');
  return { configurationId, dataSources, ...(cd ? { customData: cd } : {}) };
}

export function configurationOf(a: AgentRecord): DataSourceConfiguration {
  const stored = a.configuration ? JSON.parse(a.configuration) as Omit<DataSourceConfiguration, 'id' | 'eTag'> : { configurationId: '', dataSources: [] };
  return { id: a.id, eTag: String(a.configurationEtag), ...stored };
}

export function dataPointsOf(a: AgentRecord): Map<string, DataPoint> {
  return new Map(configurationOf(a).dataSources.flatMap((ds) => ds.dataPoints.map((dp) => [dp.id, dp] as const)));
}

const MAPPING_FIELDS = { id: 'string', agentId: 'string', dataPointId: 'string', entityId: 'string', propertySetName: 'string', propertyName: 'string' } as const;

export class ConfigurationService {
  constructor(private readonly o: { store: AgentStore; agents: AgentService; assets: AssetLookup; now: () => number }) {}

  async get(tenant: string, agentId: string): Promise<DataSourceConfiguration> {
    return configurationOf(await this.o.agents.get(tenant, agentId));
  }

  async put(tenant: string, agentId: string, ifMatch: string | undefined, body: unknown): Promise<DataSourceConfiguration> {
    const a = await this.o.agents.get(tenant, agentId);
    ifMatchOf(ifMatch, `the data source configuration of agent ${a.id}`, a.configurationEtag);
    const config = checkConfiguration(body);
    const next: AgentRecord = { ...a, configuration: JSON.stringify(config), configurationEtag: a.configurationEtag + 1, rev: a.rev + 1 };
    await this.o.agents.save(next, a.rev, a.name);
    // Mappings of data points that are gone go, unless they asked to be kept (keepMapping).
    const points = dataPointsOf(next);
    for (const m of await this.o.store.listMappings(tenant, a.id)) {
      if (!points.has(m.dataPointId) && !m.keepMapping) await this.o.store.deleteMapping(tenant, m.id);
    }
    return configurationOf(next);
  }

  async createMapping(tenant: string, body: unknown, noAgentValidation: boolean): Promise<MappingView> {
    const b = objectBody(body);
    const field = (k: string) => {
      const v = b[k];
      if (typeof v !== 'string' || v === '') throw AgentErrors.invalid(k, 'is required and must be a non-empty string');
      return v;
    };
    const m: MappingRecord = { tenant, id: randomUUID().replace(/-/g, ''), agentId: field('agentId').toLowerCase(), dataPointId: field('dataPointId'),
      entityId: field('entityId').toLowerCase(), propertySetName: field('propertySetName'), propertyName: field('propertyName'),
      keepMapping: b['keepMapping'] === true, createdAt: this.o.now() };
    const agent = await this.o.agents.get(tenant, m.agentId);
    const asset = await this.o.assets.getAsset(tenant, m.entityId);
    if (!asset) throw AgentErrors.assetNotFound('entityId', m.entityId);
    const aspect = asset.aspects.find((x) => x.name === m.propertySetName);
    if (!aspect || aspect.category !== 'dynamic') throw AgentErrors.invalid('propertySetName', `"${m.propertySetName}" is no dynamic aspect of asset ${m.entityId}`);
    const variable = aspect.variables.find((v) => v.name === m.propertyName);
    if (!variable) throw AgentErrors.invalid('propertyName', `"${m.propertyName}" is no variable of aspect ${m.propertySetName}`);
    if (!noAgentValidation) {
      const dp = dataPointsOf(agent).get(m.dataPointId);
      if (!dp) throw AgentErrors.invalid('dataPointId', `"${m.dataPointId}" is no data point of agent ${agent.id}'s data source configuration`);
      if (dp.type !== variable.dataType) {
        throw AgentErrors.invalid('propertyName', `data point ${dp.id} is ${dp.type} but variable ${m.propertyName} is ${variable.dataType}; the types must match`);
      }
      if ((dp.unit ?? '') !== (variable.unit ?? '')) {
        throw AgentErrors.invalid('propertyName', `data point ${dp.id} has unit "${dp.unit}" but variable ${m.propertyName} has "${variable.unit}"; the units must match`);
      }
    }
    const existing = await this.o.store.listMappings(tenant);
    const same = (x: MappingRecord) => x.entityId === m.entityId && x.propertySetName === m.propertySetName;
    const equal = existing.find((x) => same(x) && x.propertyName === m.propertyName && x.agentId === m.agentId && x.dataPointId === m.dataPointId);
    if (equal) throw AgentErrors.mappingExists(`the mapping ${equal.id} of data point ${m.dataPointId} to ${m.propertySetName}.${m.propertyName} exists already`);
    const taken = existing.find((x) => same(x) && x.propertyName === m.propertyName);
    if (taken) throw AgentErrors.mappingExists(`variable ${m.propertySetName}.${m.propertyName} of asset ${m.entityId} is mapped already (mapping ${taken.id})`);
    const twice = existing.find((x) => same(x) && x.agentId === m.agentId && x.dataPointId === m.dataPointId);
    if (twice) throw AgentErrors.mappingExists(`data point ${m.dataPointId} is mapped already to aspect ${m.propertySetName} of asset ${m.entityId} (mapping ${twice.id})`);
    try {
      await this.o.store.createMapping(m);
    } catch (err) {
      if (err instanceof AgentDuplicateError) throw AgentErrors.mappingExists(`data point ${m.dataPointId} is mapped to ${m.propertySetName}.${m.propertyName} already`);
      throw err;
    }
    return this.view(m, agent, asset);
  }

  async listMappings(tenant: string, q: { page?: string; size?: string; filter?: string }, onlyAgent?: string): Promise<SpringPage<MappingView>> {
    const { page, size } = pageParams(q, 2000);
    const filter = parseFilter(q.filter, MAPPING_FIELDS);
    const rows = (await this.o.store.listMappings(tenant, onlyAgent))
      .filter((m) => evaluate(filter, (f) => (m as unknown as Record<string, Scalar>)[f] ?? null));
    const views = await Promise.all(rows.slice(page * size, page * size + size).map((m) => this.viewOf(tenant, m)));
    const p = springPage(rows, page, size);
    return { ...p, content: views };
  }

  async getMapping(tenant: string, id: string, onlyAgent?: string): Promise<MappingView> {
    const m = await this.o.store.getMapping(tenant, id);
    if (!m || (onlyAgent !== undefined && m.agentId !== onlyAgent)) throw AgentErrors.mappingNotFound(id);
    return this.viewOf(tenant, m);
  }

  async deleteMapping(tenant: string, id: string, onlyAgent?: string): Promise<void> {
    await this.getMapping(tenant, id, onlyAgent);
    if (!(await this.o.store.deleteMapping(tenant, id))) throw AgentErrors.mappingNotFound(id);
  }

  private async viewOf(tenant: string, m: MappingRecord): Promise<MappingView> {
    return this.view(m, await this.o.store.get(tenant, m.agentId), await this.o.assets.getAsset(tenant, m.entityId));
  }

  private view(m: MappingRecord, agent: AgentRecord | undefined, asset: ModelAsset | undefined): MappingView {
    const dp = agent ? dataPointsOf(agent).get(m.dataPointId) : undefined;
    const variable = asset?.aspects.find((x) => x.name === m.propertySetName)?.variables.find((v) => v.name === m.propertyName);
    const reasons: string[] = [];
    if (!dp) reasons.push('MISSING_DATAPOINT');
    if (!variable) reasons.push('MISSING_PROPERTY');
    if (dp && variable && dp.type !== variable.dataType) reasons.push('INVALID_TYPE');
    if (dp && variable && (dp.unit ?? '') !== (variable.unit ?? '')) reasons.push('INVALID_UNIT');
    return {
      id: m.id, agentId: m.agentId, dataPointId: m.dataPointId, dataPointUnit: dp?.unit ?? null, dataPointType: dp?.type ?? null,
      entityId: m.entityId, propertySetName: m.propertySetName, propertyName: m.propertyName, propertyUnit: variable?.unit ?? null,
      propertyType: variable?.dataType ?? null, qualityEnabled: variable?.qualityCode ?? false, keepMapping: m.keepMapping,
      validity: { status: reasons.length === 0 ? 'VALID' : 'INVALID', reasons },
    };
  }
}
