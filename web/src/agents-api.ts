/** Agent Management API v3 and MindConnect API v3 data point mappings as the Agents app uses them. */
import { api, get } from './api';

export const AGM = '/api/agentmanagement/v3';
export const MC = '/api/mindconnect/v3';

export interface Agent { id: string; eTag: string; name: string; securityProfile: 'SHARED_SECRET' | 'RSA_3072'; entityId: string }
export interface DataPoint { id: string; name: string; type: string; unit: string }
export interface DataSourceConfiguration { dataSources: { name: string; dataPoints: DataPoint[] }[] }
export interface Mapping {
  id: string; agentId: string; dataPointId: string; entityId: string; propertySetName: string; propertyName: string;
  validity: { status: 'VALID' | 'INVALID'; reasons: string[] };
}
interface Spring<T> { content: T[] }

const q = (filter: Record<string, string>) => `filter=${encodeURIComponent(JSON.stringify(filter))}`;

export const agents = async (): Promise<Agent[]> => (await get<Spring<Agent>>(`${AGM}/agents?size=500&sort=name,asc`)).content;
export const create = async (body: { name: string; entityId: string; securityProfile: string }): Promise<Agent> =>
  (await api<Agent>(`${AGM}/agents`, { method: 'POST', body })).body;
export const remove = (a: Agent) => api<void>(`${AGM}/agents/${a.id}`, { method: 'DELETE', headers: { 'if-match': a.eTag } });
export const status = (id: string) => get<{ status: 'ONLINE' | 'OFFLINE'; since: string }>(`${AGM}/agents/${id}/status`);
export const boarding = (id: string) => get<{ status: string }>(`${AGM}/agents/${id}/boarding/status`);
export const boardingConfiguration = (id: string) => get<{ content: Record<string, unknown>; expiration: string }>(`${AGM}/agents/${id}/boarding/configuration`);
export const offboard = (id: string) => api<{ status: string }>(`${AGM}/agents/${id}/boarding/offboard`, { method: 'POST' });
export const configuration = (id: string) => get<DataSourceConfiguration>(`${AGM}/agents/${id}/dataSourceConfiguration`);

export const mappings = async (agentId: string): Promise<Mapping[]> =>
  (await get<Spring<Mapping>>(`${MC}/dataPointMappings?size=500&${q({ agentId })}`)).content;
export const map = (body: { agentId: string; dataPointId: string; entityId: string; propertySetName: string; propertyName: string; keepMapping: boolean }) =>
  api<Mapping>(`${MC}/dataPointMappings`, { method: 'POST', body });
export const unmap = (id: string) => api<void>(`${MC}/dataPointMappings/${id}`, { method: 'DELETE' });

/** Saves `data` as a JSON file (a blob link: no navigation, nothing inline). */
export function saveJson(name: string, data: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
