/**
 * The agents context as the platform composes it: the store (agents.db), the agent, onboarding, configuration
 * and exchange services, and their routes. Tokens come from identity (issued and verified there; this context
 * registers the revocation lookup of agent tokens); time series go through the time series write path.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import type { AssetLookup, ModelEvents } from '../core/model.js';
import type { KeyRing } from '../identity/keyring.js';
import { AGENT_TOKEN_CATEGORY, type TokenService } from '../identity/tokens.js';
import type { TimeseriesWriter } from '../timeseries/index.js';
import { ConfigurationService } from './configuration.js';
import { DiagnosticsService } from './diagnostics.js';
import { ExchangeService } from './exchange.js';
import type { AgentFileSink } from './ingest.js';
import { OnboardingService } from './onboarding.js';
import { agentRoutes } from './routes.js';
import { AgentService } from './service.js';
import { SqliteAgentStore } from './store/sqlite.js';

export interface AgentsContext {
  name: 'agents';
  agents: AgentService;
  onboarding: OnboardingService;
  configuration: ConfigurationService;
  diagnostics: DiagnosticsService;
  /** The ingest seam (AgentIngest) for transports such as MQTT. */
  ingest: ExchangeService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export interface AgentsDeps {
  config: Config;
  assets: AssetLookup;
  writer: TimeseriesWriter;
  tokens: TokenService;
  keys: KeyRing;
  /** Asset Management's events: an agent goes with its asset (its id is the asset's). */
  events?: ModelEvents;
  /** Where file items of the exchange go (IoT File, composed by the platform). */
  files?: AgentFileSink;
  publicUrl: () => string;
  now?: () => number;
}

export function createAgents(deps: AgentsDeps): AgentsContext {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const store = new SqliteAgentStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const agents = new AgentService({ store, assets: deps.assets, now, publicUrl: deps.publicUrl,
    initialTokenTtlMs: config.agentInitialTokenTtlSeconds * 1000, onlineMs: config.agentOnlineSeconds * 1000 });
  const onboarding = new OnboardingService({ store, agents, tokens: deps.tokens, now, publicUrl: deps.publicUrl,
    secretTtlMs: config.agentSecretTtlSeconds * 1000, tokenTtlSeconds: config.agentTokenTtlSeconds, skewSeconds: config.agentAssertionSkewSeconds });
  const configuration = new ConfigurationService({ store, agents, assets: deps.assets, now });
  const diagnostics = new DiagnosticsService({ store, agents, now, max: config.diagnosticActivationsMax, keep: config.diagnosticMessagesKept });
  const ingest = new ExchangeService({ store, agents, onboarding, verifier: deps.tokens, writer: deps.writer, assets: deps.assets, diagnostics, now,
    ...(deps.files ? { files: deps.files } : {}) });
  // An agent token is live while its agent exists, is onboarded and keeps the rev_sig it was issued with.
  deps.tokens.registerRevocation(AGENT_TOKEN_CATEGORY, async (claims) => {
    const ten = claims['ten'];
    const sub = claims['sub'];
    if (typeof ten !== 'string' || typeof sub !== 'string') return undefined;
    const a = await store.get(ten, sub);
    return a && a.boarding === 'ONBOARDED' ? a.revSig : undefined;
  });
  const unsubscribe = deps.events?.on(async (e) => {
    if (e.type === 'asset.deleted') await store.delete(e.tenant, e.assetId);
  });
  return {
    name: 'agents', agents, onboarding, configuration, diagnostics, ingest,
    routes: (app) => agentRoutes(app, { agents, onboarding, configuration, diagnostics, exchange: ingest, exchangeMaxBytes: config.exchangeMaxBytes,
      tokenKey: () => deps.keys.published()[0]! }),
    async onTenantDeleted(tenant) { await store.deleteTenant(tenant); },
    close: () => {
      unsubscribe?.();
      store.close();
    },
  };
}
