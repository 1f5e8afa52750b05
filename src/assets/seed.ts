/**
 * The core model shared read-only by every tenant (Asset Management API v3, asset types, the public MindConnect Node.js SDK (AssetManagementClient, its test suite)): core aspect
 * types and the core.* asset types the SDK and CLI assume (core.basicasset … core.mclib, core.tenant for roots).
 * core.basicdevice declares exactly two variables (the SDK tests count them through `exploded=true`).
 */
import type { AspectTypeRecord, AspectVariable, AssetTypeRecord, VariableDefinition } from './records.js';
import { CORE_TENANT } from './records.js';

const v = (name: string, dataType: AspectVariable['dataType'], unit = '', extra: Partial<AspectVariable> = {}): AspectVariable => ({
  name, dataType, unit, searchable: false, qualityCode: false, defaultValue: null,
  length: dataType === 'STRING' ? 255 : dataType === 'BIG_STRING' ? 100_000 : null, ...extra,
});
const tv = (name: string, dataType: VariableDefinition['dataType'], unit = '', extra: Partial<VariableDefinition> = {}): VariableDefinition => {
  const { qualityCode: _qc, ...rest } = v(name, dataType, unit, extra);
  return rest;
};

const aspect = (name: string, category: 'static' | 'dynamic', description: string, variables: AspectVariable[]): AspectTypeRecord => ({
  id: `core.${name}`, tenant: CORE_TENANT, name, category, scope: 'private', description, variables, etag: 0,
});

export const CORE_ASPECT_TYPES: readonly AspectTypeRecord[] = [
  aspect('tenantInfo', 'static', 'Information about the tenant the root asset represents', [
    v('companyName', 'STRING', '', { searchable: true }), v('country', 'STRING')]),
  aspect('siteInfo', 'static', 'Site identification', [v('siteCode', 'STRING', '', { searchable: true }), v('operator', 'STRING')]),
  aspect('areaInfo', 'static', 'Area identification', [v('areaCode', 'STRING', '', { searchable: true }), v('floor', 'INT')]),
  aspect('deviceInfo', 'static', 'Device nameplate', [v('manufacturer', 'STRING'), v('model', 'STRING'),
    v('serialNumber', 'STRING', '', { searchable: true })]),
  aspect('maintenance', 'static', 'Maintenance plan', [v('lastService', 'TIMESTAMP'),
    v('intervalDays', 'INT', 'd', { defaultValue: '365' })]),
  aspect('connectivity', 'dynamic', 'Connection state reported by an agent', [
    v('connected', 'BOOLEAN', '', { qualityCode: true }), v('latency', 'DOUBLE', 'ms', { qualityCode: true })]),
  aspect('agentDiagnostics', 'dynamic', 'Agent diagnostic counters', [v('messagesSent', 'LONG'), v('errors', 'LONG'),
    v('lastError', 'STRING')]),
  aspect('healthStatus', 'dynamic', 'Health state of an asset', [v('status', 'STRING', '', { length: 32 }),
    v('health', 'INT', '%', { qualityCode: true })]),
  aspect('energy', 'dynamic', 'Electrical power and energy', [v('power', 'DOUBLE', 'kW', { qualityCode: true }),
    v('energy', 'DOUBLE', 'kWh', { qualityCode: true })]),
  aspect('environment', 'dynamic', 'Ambient conditions', [v('temperature', 'DOUBLE', '°C', { qualityCode: true }),
    v('humidity', 'DOUBLE', '%', { qualityCode: true }), v('pressure', 'DOUBLE', 'kPa', { qualityCode: true })]),
  aspect('eventLog', 'dynamic', 'Free text log lines of an asset', [v('message', 'BIG_STRING', '', { length: 10_000 })]),
];

const type = (name: string, parent: string | null, description: string, extra: Partial<AssetTypeRecord> = {}): AssetTypeRecord => ({
  id: `core.${name}`, tenant: CORE_TENANT, name, description, parentTypeId: parent ? `core.${parent}` : null,
  instantiable: true, scope: 'private', aspects: [], variables: [], fileAssignments: [], etag: 0, ...extra,
});

/** Parents before children. */
export const CORE_ASSET_TYPES: readonly AssetTypeRecord[] = [
  type('basicasset', null, 'Base of every asset type'),
  type('tenant', 'basicasset', 'The root asset of a tenant', {
    instantiable: false,
    aspects: [{ name: 'tenantInfo', aspectTypeId: 'core.tenantInfo' }],
    variables: [tv('defaultTimezone', 'STRING', '', { length: 64, defaultValue: 'UTC' })],
  }),
  type('basicenterprise', 'basicasset', 'An enterprise or company'),
  type('basicsite', 'basicasset', 'A site: a plant or a building', {
    aspects: [{ name: 'siteInfo', aspectTypeId: 'core.siteInfo' }],
  }),
  type('basicarea', 'basicasset', 'An area within a site', {
    aspects: [{ name: 'areaInfo', aspectTypeId: 'core.areaInfo' }],
  }),
  type('basicdevice', 'basicasset', 'A device or machine', {
    variables: [tv('serialNumber', 'STRING', '', { searchable: true }), tv('firmwareVersion', 'STRING', '', { length: 64 })],
  }),
  type('basicagent', 'basicasset', 'A connectivity agent', {
    aspects: [{ name: 'connectivity', aspectTypeId: 'core.connectivity' },
      { name: 'agentDiagnostics', aspectTypeId: 'core.agentDiagnostics' }],
  }),
  type('mclib', 'basicagent', 'An agent written with a MindConnect library (created by mc create-agent)'),
  type('mcnano', 'basicagent', 'A MindConnect Nano gateway'),
  type('mciot2040', 'basicagent', 'A MindConnect IoT2040 gateway'),
];
