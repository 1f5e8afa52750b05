/**
 * Scopes carried in access tokens, and the roles that grant them (reference §6.5: `{service}.{x}.{r|w|d}`).
 * An endpoint names the one scope it needs in its route config; a token lacking it gets 403.
 */
export const SCOPES = {
  tenantRead: 'tm.ti.r',
  tenantWrite: 'tm.ti.w',
  tokenManagerRead: 'tm.t.r',
  assetRead: 'am.asset.r',
  assetWrite: 'am.asset.w',
  assetDelete: 'am.asset.d',
  timeseriesRead: 'iot.tim.r',
  timeseriesWrite: 'iot.tim.w',
  timeseriesDelete: 'iot.tim.d',
  aggregatesRead: 'iot.tsa.r',
  datalakeRead: 'dl.ds.r',
  datalakeWrite: 'dl.ds.w',
  datalakeDelete: 'dl.ds.d',
  odataRead: 'odata.r',
  odataWrite: 'odata.w',
  agentRead: 'agm.agent.r',
  agentWrite: 'agm.agent.w',
  agentDelete: 'agm.agent.d',
  identityRead: 'iam.user.r',
  identityWrite: 'iam.user.w',
  registryWrite: 'gw.registry.w',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];
export const ALL_SCOPES: readonly string[] = Object.values(SCOPES);

export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];

const ADMIN_ONLY = new Set<string>([SCOPES.tenantWrite, SCOPES.identityWrite, SCOPES.registryWrite,
  SCOPES.agentDelete, SCOPES.assetDelete, SCOPES.timeseriesDelete, SCOPES.datalakeDelete, SCOPES.odataWrite]);

export function scopesOfRole(role: Role): string[] {
  return role === 'admin' ? [...ALL_SCOPES] : ALL_SCOPES.filter((s) => !ADMIN_ONLY.has(s));
}

/** Returns the scopes not in the catalogue (empty when all are known). */
export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !ALL_SCOPES.includes(s));
}
