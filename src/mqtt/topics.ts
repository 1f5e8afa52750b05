/**
 * MindConnect MQTT topics (Insights Hub "MindConnect MQTT"): every topic of an agent lies under
 * `tc/{tenant}/{clientId}/`, where the client id is `{tenant}_{agentName}`; the agent publishes on `o/…` (time series
 * `o/mc_v3/ts`, events `o/mc_v3/e`, token requests `o/agm_v3/t`) and receives on `i/…` (token responses
 * `i/agm_v3/tr` and, ours, diagnostics `i/mc_v3/diag`). This file owns parsing and building them and the ACL rule.
 */

export type Channel = 'ts' | 'e' | 't';

export const OUT: Readonly<Record<Channel, string>> = { ts: 'o/mc_v3/ts', e: 'o/mc_v3/e', t: 'o/agm_v3/t' };
export const TOKEN_RESPONSE = 'i/agm_v3/tr';
/** Our diagnostic topic: answers to refused or partly stored messages (Insights Hub documents none for MQTT). */
export const DIAGNOSTIC = 'i/mc_v3/diag';

/** The prefix every topic of an agent starts with. */
export function prefixOf(tenant: string, clientId: string): string {
  return `tc/${tenant}/${clientId}/`;
}

export function topicOf(tenant: string, clientId: string, suffix: string): string {
  return `${prefixOf(tenant, clientId)}${suffix}`;
}

export interface AgentTopic {
  tenant: string;
  clientId: string;
  channel: Channel;
}

/**
 * A client id usable over MQTT: `{tenant}_{name}` where the name has no `/`, `+` or `#` (agent names are free text;
 * one with a topic level separator would make its prefix overlap another agent's, so such agents cannot use MQTT).
 */
export function isMqttClientId(clientId: string, tenant: string): boolean {
  return clientId.startsWith(`${tenant}_`) && clientId.length > tenant.length + 1 && !/[/+#\u0000]/.test(clientId);
}

/** The agent and channel of an ingest topic `tc/{tenant}/{clientId}/o/…`; undefined for any other topic. */
export function parseAgentTopic(topic: string): AgentTopic | undefined {
  const [tc, tenant, clientId, ...rest] = topic.split('/');
  if (tc !== 'tc' || !tenant || !clientId || !isMqttClientId(clientId, tenant)) return undefined;
  const suffix = rest.join('/');
  const channel = (Object.keys(OUT) as Channel[]).find((c) => OUT[c] === suffix);
  return channel ? { tenant, clientId, channel } : undefined;
}

/**
 * The ACL: a topic (publish) or topic filter (subscribe) is an agent's when it lies under its own prefix. A filter
 * with a wildcard in the prefix (`tc/+/…`, `tc/#`) reaches other agents' topics and is refused; wildcards after it are
 * the agent's own business.
 */
export function withinPrefix(topicOrFilter: string, tenant: string, clientId: string): boolean {
  const prefix = prefixOf(tenant, clientId);
  return topicOrFilter.startsWith(prefix) && topicOrFilter.length > prefix.length;
}

/** The subscriptions of the external broker's subscriber: every channel, of the given tenants or all. */
export function subscriptionFilters(tenants: readonly string[] | undefined): string[] {
  const of = tenants && tenants.length > 0 ? tenants : ['+'];
  return of.flatMap((t) => Object.values(OUT).map((suffix) => `tc/${t}/+/${suffix}`));
}
