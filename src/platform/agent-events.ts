/**
 * The AgentEventSink of the agents' seam (src/agents/ingest.ts) on Event Management (Event Management API v3): the
 * events an agent sends over MindConnect MQTT (`o/mc_v3/e`: `{id, correlationId, timestamp, severity, type,
 * description}`) become standard events of its asset (the agent's id is its asset's), created through the events
 * service with its checks. A batch is checked whole before any event is stored.
 */
import type { AgentEventSink } from '../agents/ingest.js';
import type { EventService } from '../events/service.js';

/** The MindConnect fields an event of the standard type takes; `id` and `type` ("AgentBaseEvent") are the agent's own. */
function eventBody(entityId: string, e: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { entityId, source: 'MindConnect MQTT' };
  for (const k of ['correlationId', 'timestamp', 'severity', 'description', 'code', 'acknowledged']) if (e[k] !== undefined) body[k] = e[k];
  if (typeof body['severity'] === 'string' && /^\d{1,4}$/.test(body['severity'])) body['severity'] = Number(body['severity']);
  body['timestamp'] ??= new Date().toISOString();
  return body;
}

export function agentEventSink(events: EventService): AgentEventSink {
  return {
    async createAgentEvents(agent, list) {
      await events.createEvents(agent.tenant, list.map((e) => eventBody(agent.agentId, e)));
    },
  };
}
