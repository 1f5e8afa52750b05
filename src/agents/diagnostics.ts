/**
 * Diagnostic activations and messages (MindConnect API v3 "diagnosticActivations"): at most
 * --diagnostic-activations-max agents of a tenant are activated; while an agent's activation is ACTIVE, what the
 * exchange could not store (values of unmapped data points) is kept as its messages (the newest
 * --diagnostic-messages-kept). The CLI names activations by agent id, so both ids are accepted in paths.
 */
import { randomUUID } from 'node:crypto';
import { iso } from '../core/instant.js';
import { AgentErrors } from './errors.js';
import { type AgentService, objectBody, pageParams, springPage, type SpringPage } from './service.js';
import { type ActivationRecord, AgentDuplicateError, type AgentStore, type DiagnosticMessage } from './store.js';

export interface ActivationView { id: string; agentId: string; status: ActivationRecord['status'] }

const viewOf = (a: ActivationRecord): ActivationView => ({ id: a.id, agentId: a.agentId, status: a.status });
const STATUSES = ['ACTIVE', 'INACTIVE'] as const;

export class DiagnosticsService {
  constructor(private readonly o: { store: AgentStore; agents: AgentService; now: () => number; max: number; keep: number }) {}

  async activate(tenant: string, body: unknown, onlyAgent?: string): Promise<ActivationView> {
    const b = objectBody(body);
    const agentId = typeof b['agentId'] === 'string' ? b['agentId'].toLowerCase() : '';
    if (agentId === '') throw AgentErrors.invalid('agentId', 'is required');
    if (onlyAgent !== undefined && onlyAgent !== agentId) throw AgentErrors.notYours('diagnostic activation');
    const status = b['status'] ?? 'ACTIVE';
    if (!STATUSES.includes(status as ActivationRecord['status'])) throw AgentErrors.invalid('status', 'must be ACTIVE or INACTIVE');
    await this.o.agents.get(tenant, agentId);
    if ((await this.o.store.listActivations(tenant)).length >= this.o.max) {
      throw AgentErrors.mappingExists(`agent limitation: at most ${this.o.max} agents of a tenant have a diagnostic activation`);
    }
    const a: ActivationRecord = { tenant, id: randomUUID().replace(/-/g, ''), agentId, status: status as ActivationRecord['status'], createdAt: this.o.now() };
    try {
      await this.o.store.createActivation(a);
    } catch (err) {
      if (err instanceof AgentDuplicateError) throw AgentErrors.mappingExists(`agent ${agentId} has a diagnostic activation already`);
      throw err;
    }
    return viewOf(a);
  }

  async list(tenant: string, q: { page?: string; size?: string }, onlyAgent?: string): Promise<SpringPage<ActivationView>> {
    const { page, size } = pageParams(q, 2000);
    const all = (await this.o.store.listActivations(tenant)).filter((a) => onlyAgent === undefined || a.agentId === onlyAgent).map(viewOf);
    return springPage(all, page, size);
  }

  async get(tenant: string, id: string, onlyAgent?: string): Promise<ActivationRecord> {
    const a = await this.o.store.getActivation(tenant, id.toLowerCase());
    if (!a || (onlyAgent !== undefined && a.agentId !== onlyAgent)) throw AgentErrors.activationNotFound(id);
    return a;
  }

  async view(tenant: string, id: string, onlyAgent?: string): Promise<ActivationView> {
    return viewOf(await this.get(tenant, id, onlyAgent));
  }

  async update(tenant: string, id: string, body: unknown, onlyAgent?: string): Promise<ActivationView> {
    const a = await this.get(tenant, id, onlyAgent);
    const status = objectBody(body)['status'];
    if (!STATUSES.includes(status as ActivationRecord['status'])) throw AgentErrors.invalid('status', 'must be ACTIVE or INACTIVE');
    await this.o.store.setActivationStatus(tenant, a.id, status as ActivationRecord['status']);
    return { ...viewOf(a), status: status as ActivationRecord['status'] };
  }

  async remove(tenant: string, id: string, onlyAgent?: string): Promise<void> {
    const a = await this.get(tenant, id, onlyAgent);
    await this.o.store.deleteActivation(tenant, a.id);
  }

  async messages(tenant: string, id: string, q: { page?: string; size?: string }, onlyAgent?: string) {
    const a = await this.get(tenant, id, onlyAgent);
    const { page, size } = pageParams(q, 2000);
    const all = (await this.o.store.listMessages(tenant, a.agentId)).map((m) => ({ ...m, timestamp: iso(m.timestamp) }));
    return springPage(all, page, size);
  }

  /** Keeps the messages when the agent's activation is ACTIVE; otherwise they are dropped. */
  async report(tenant: string, agentId: string, messages: Omit<DiagnosticMessage, 'agentId' | 'timestamp'>[]): Promise<void> {
    if (messages.length === 0) return;
    const a = await this.o.store.getActivation(tenant, agentId);
    if (!a || a.agentId !== agentId || a.status !== 'ACTIVE') return;
    const now = this.o.now();
    await this.o.store.addMessages(tenant, messages.map((m) => ({ ...m, agentId, timestamp: now })), this.o.keep);
  }
}
