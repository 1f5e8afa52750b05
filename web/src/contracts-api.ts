/** The OData contract registry as the Asset Manager's contract wizard uses it (`/api/odatacontracts/v1`). */
import { api, get } from './api';

export const REG = '/api/odatacontracts/v1';

export interface Problem { item: string; rule: string; alias?: { for: string; suggestion: string } }
export interface EntitySet { name: string; kind: 'assets' | 'timeseries' | 'aggregates'; typeId: string; generated: string; properties: string[] }
export interface Contract {
  id: string; name: string; version: string; description: string; environmentName: string; environmentType: string;
  applicationName: string; assetTypes: string[]; aliases: Record<string, string>; published: boolean; publishedAt: string | null;
  state: 'valid' | 'degraded'; problems: Problem[]; entitySets: string[]; serviceRoot: string; metadataUrl: string; csdlUrl: string; etag: number;
}
export interface ContractBody {
  name: string; version: string; description: string; environmentName: string; environmentType: string; applicationName: string;
  assetTypes: string[]; aliases: Record<string, string>; publish?: boolean;
}

export const contracts = async (): Promise<Contract[]> => (await get<{ contracts: Contract[] }>(`${REG}/contracts`)).contracts;

export const preview = async (body: Partial<ContractBody>): Promise<{ entitySets: EntitySet[]; problems: Problem[] }> =>
  (await api<{ entitySets: EntitySet[]; problems: Problem[] }>(`${REG}/contracts/preview`, { method: 'POST', body })).body;

export const create = async (body: ContractBody): Promise<Contract> => (await api<Contract>(`${REG}/contracts`, { method: 'POST', body })).body;

export const publish = async (c: Contract): Promise<Contract> =>
  (await api<Contract>(`${REG}/contracts/${c.id}/publish`, { method: 'POST', headers: { 'if-match': `"${c.etag}"` } })).body;

/** The contract's CSDL document as a file the browser saves (a blob link, so no navigation and no inline script). */
export async function download(c: Contract): Promise<void> {
  const res = await fetch(`${REG}/contracts/${c.id}/csdl`, { headers: { 'x-requested-with': 'XMLHttpRequest' }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`The CSDL could not be read: ${res.status} ${res.statusText}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${c.name}-${c.version}.xml`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
