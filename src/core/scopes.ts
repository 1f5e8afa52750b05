/**
 * Scopes carried in access tokens, and the roles that grant them (Insights Hub scopes and roles: `{service}.{x}.{r|w|d}`).
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
  eventRead: 'em.event.r',
  eventWrite: 'em.event.w',
  eventDelete: 'em.event.d',
  iotFileRead: 'iot.fil.r',
  iotFileWrite: 'iot.fil.w',
  iotFileDelete: 'iot.fil.d',
  /** Data source configurations and data point mappings (users and the agent itself; Agent Management, MindConnect API). */
  mindconnectRead: 'mc.dp.r',
  mindconnectWrite: 'mc.dp.w',
  /** The MindConnect exchange: only agent tokens are served (its handler refuses other principals). */
  exchangeWrite: 'mc.exchange.w',
} as const;

/** The scopes of an agent access token (Agent Management v3 "agent token"): its own data, asset reads, the events and files it sends. */
export const AGENT_SCOPES: readonly string[] = ['mdsp:core:DefaultAgent', SCOPES.mindconnectRead, SCOPES.mindconnectWrite,
  SCOPES.exchangeWrite, SCOPES.assetRead, SCOPES.eventRead, SCOPES.eventWrite, SCOPES.iotFileRead, SCOPES.iotFileWrite];

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];
export const ALL_SCOPES: readonly string[] = Object.values(SCOPES);

export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];

const ADMIN_ONLY = new Set<string>([SCOPES.tenantWrite, SCOPES.identityWrite, SCOPES.registryWrite,
  SCOPES.agentDelete, SCOPES.assetDelete, SCOPES.timeseriesDelete, SCOPES.datalakeDelete, SCOPES.odataWrite]);
// Deleting event types is an administrator's; deleting IoT files is not (agents and users replace their files).
ADMIN_ONLY.add(SCOPES.eventDelete);

export function scopesOfRole(role: Role): string[] {
  return role === 'admin' ? [...ALL_SCOPES] : ALL_SCOPES.filter((s) => !ADMIN_ONLY.has(s));
}

/** Returns the scopes not in the catalogue (empty when all are known). */
export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !ALL_SCOPES.includes(s));
}
