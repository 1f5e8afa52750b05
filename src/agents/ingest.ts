/**
 * The seam between the agents context and the transports that carry an agent's data (the MindConnect exchange
 * over HTTP, MindConnect MQTT): who the agent is, one durable write of many series, and a token for an agent
 * that asks for one over MQTT. The agents context implements AgentIngest; src/mqtt consumes it and knows nothing
 * of mappings, identity or storage. Events go to the events context through AgentEventSink.
 * (Insights Hub "MindConnect API v3" exchange; "MindConnect MQTT" topics o/mc_v3/ts, o/mc_v3/e, o/agm_v3/t.)
 */

/** An authenticated agent: its tenant, its id (equal to its asset id) and its MQTT client id `{tenant}_{name}`. */
export interface AgentPrincipal {
  readonly tenant: string;
  readonly agentId: string;
  readonly clientId: string;
}

/** One value of one data point, as agents send it: value and quality code as strings. */
export interface DataPointValue {
  readonly dataPointId: string;
  readonly value: string;
  readonly qualityCode?: string;
}

/** One timestamp across many data points (the time-major shape a machine sends). */
export interface DataPointBatch {
  readonly timestamp: string;
  readonly values: readonly DataPointValue[];
}

export interface IngestResult {
  /** records written (one per mapped asset and aspect and timestamp) */
  readonly records: number;
  /** values of data points without a mapping: reported in the agent's diagnostic messages, not stored */
  readonly unmapped: number;
  /**
   * The same two counts per batch, in call order (records: the series the batch's values went to), so a transport
   * that wrote the batches of many messages together can answer each message on its own.
   */
  readonly byBatch?: readonly { readonly records: number; readonly unmapped: number }[];
}

export interface AgentIngest {
  /** Verifies an agent access token through identity's one verification path; null when it is not a live agent's. */
  authenticate(accessToken: string): Promise<AgentPrincipal | null>;
  /**
   * Maps the values through the agent's data point mappings and stores all of them in one commit. Resolves only
   * when the commit is durable; rejects with a catalogued error naming the item and the rule, and then nothing of
   * the batch is stored.
   */
  writeTimeseries(agent: AgentPrincipal, batches: readonly DataPointBatch[]): Promise<IngestResult>;
  /**
   * The onboarded agent of `tenant` whose MQTT client id (`{tenant}_{name}`) is `clientId`; null when there is none.
   * For an external MQTT broker, which authenticates the agents itself.
   */
  agentOfClientId(tenant: string, clientId: string): Promise<AgentPrincipal | null>;
  /** The agent token grant for a client assertion (HS256 with the shared secret, RS384 with the registered key). */
  issueToken(clientAssertion: string): Promise<{ access_token: string; token_type: string; expires_in: number }>;
}

/** Events an agent sends (MQTT o/mc_v3/e): the events context stores them as the agent's asset's events. */
export interface AgentEventSink {
  createAgentEvents(agent: AgentPrincipal, events: readonly Record<string, unknown>[]): Promise<void>;
}

/**
 * Files an agent sends in the exchange (item payload type `file`): stored as IoT files of the agent's asset.
 * `check` names the rule a file name breaks (undefined when it is fine), so a whole batch is refused before anything
 * of it is stored.
 */
export interface AgentFileSink {
  check(fileName: string): string | undefined;
  putAgentFile(agent: AgentPrincipal, file: { fileName: string; fileType: string; creationDate?: string; content: Buffer }): Promise<void>;
}
