/**
 * The agents store interface: agents (per tenant, id = asset id, unique name), their onboarding credentials, data
 * source configurations, data point mappings and used client assertion ids (Agent Management API v3, MindConnect
 * API v3). Implementation: store/sqlite.ts. Contract: test/agents/store.contract.ts.
 */
export type SecurityProfile = 'SHARED_SECRET' | 'RSA_3072';
export type BoardingStatus = 'NOT_ONBOARDED' | 'ONBOARDING' | 'ONBOARDED';

export interface AgentRecord {
  tenant: string;
  id: string;
  name: string;
  securityProfile: SecurityProfile;
  /** Changes with each PUT (the If-Match of the agent). */
  etag: number;
  /** Changes with every write (optimistic concurrency of the service). */
  rev: number;
  createdAt: number;
  boarding: BoardingStatus;
  /** SHA-256 (hex) of the initial access token of the boarding configuration, and the token itself. */
  iat: string | null;
  iatHash: string | null;
  iatExpiresAt: number | null;
  /** Onboarded: the shared secret (HS256 needs it in clear) or the registered public key (JWK JSON). */
  secret: string | null;
  jwk: string | null;
  secretExpiresAt: number | null;
  registrationTokenHash: string | null;
  /**
   * The registration access token of the onboarding response: it stays good for rotations (the SDK's recovery
   * rotates again with the response it stored first), while a token of a superseded rotation does not.
   */
  firstRegistrationTokenHash: string | null;
  /** The rev_sig of the agent's tokens: changes on onboarding, offboarding and deletion. */
  revSig: string;
  lastSeen: number | null;
  /** The data source configuration as JSON, and its eTag (0 before the first PUT). */
  configuration: string | null;
  configurationEtag: number;
}

export interface MappingRecord {
  tenant: string;
  id: string;
  agentId: string;
  dataPointId: string;
  entityId: string;
  propertySetName: string;
  propertyName: string;
  keepMapping: boolean;
  createdAt: number;
}

export interface ActivationRecord {
  tenant: string;
  id: string;
  agentId: string;
  status: 'ACTIVE' | 'INACTIVE';
  createdAt: number;
}

export interface DiagnosticMessage {
  agentId: string;
  correlationId: string;
  severity: 'INFO' | 'WARN' | 'ERROR';
  message: string;
  source: string;
  state: 'ACCEPTED' | 'RETRYING' | 'DROPPED' | 'PROCESSING' | 'FINISHED';
  timestamp: number;
}

export class AgentDuplicateError extends Error {
  constructor(readonly field: 'id' | 'name') {
    super(`duplicate agent ${field}`);
  }
}

export interface AgentStore {
  /** Throws AgentDuplicateError for a taken id or name in the tenant. */
  create(a: AgentRecord): Promise<void>;
  get(tenant: string, id: string): Promise<AgentRecord | undefined>;
  byIatHash(hash: string): Promise<AgentRecord | undefined>;
  list(tenant: string): Promise<AgentRecord[]>;
  /** Replaces the record when its stored rev is `rev` (the record carries the next one); false otherwise. */
  update(a: AgentRecord, rev: number): Promise<boolean>;
  /**
   * Moves the last-seen time of onboarded agents forward to `at` (never back), all in one commit; each changed
   * record's rev moves on, as with update. The transports' per-agent "seen" writes of one turn share it.
   */
  touch(seen: readonly { tenant: string; id: string; at: number }[]): Promise<void>;
  /** Deletes the agent and its mappings; false when it does not exist. */
  delete(tenant: string, id: string): Promise<boolean>;

  /** Throws AgentDuplicateError('id') for an equal mapping (agent, data point, entity, aspect, variable). */
  createMapping(m: MappingRecord): Promise<void>;
  getMapping(tenant: string, id: string): Promise<MappingRecord | undefined>;
  listMappings(tenant: string, agentId?: string): Promise<MappingRecord[]>;
  deleteMapping(tenant: string, id: string): Promise<boolean>;

  /** Throws AgentDuplicateError('id') when the agent has an activation already. */
  createActivation(a: ActivationRecord): Promise<void>;
  listActivations(tenant: string): Promise<ActivationRecord[]>;
  /** By activation id or by the agent's id. */
  getActivation(tenant: string, idOrAgent: string): Promise<ActivationRecord | undefined>;
  setActivationStatus(tenant: string, id: string, status: ActivationRecord['status']): Promise<boolean>;
  /** Deletes the activation and its messages. */
  deleteActivation(tenant: string, id: string): Promise<boolean>;
  /** Appends messages of an agent, keeping its newest `keep`. */
  addMessages(tenant: string, messages: readonly DiagnosticMessage[], keep: number): Promise<void>;
  listMessages(tenant: string, agentId: string): Promise<DiagnosticMessage[]>;

  /** Records a client assertion id until `expiresAt`; false when it was seen before (a replay). Forgets expired ones. */
  useAssertion(tenant: string, jti: string, expiresAt: number, now: number): Promise<boolean>;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
