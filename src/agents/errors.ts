/**
 * Errors of the agents context (Agent Management API v3, MindConnect API v3). Insights Hub answers these with the
 * generic codes, so each entry is a generic catalogue entry with a message naming the field or resource and the rule.
 */
import { Generic } from '../core/errors.js';

export const AgentErrors = {
  agentNotFound: (id: string) => Generic.noMatch({ resource: `agent ${id}` }),
  mappingNotFound: (id: string) => Generic.noMatch({ resource: `data point mapping ${id}` }),
  activationNotFound: (id: string) => Generic.noMatch({ resource: `diagnostic activation ${id}` }),
  assetNotFound: (field: string, id: string) =>
    Generic.invalidRequestBodyProperty({ name: field, rule: `"${id}" is no asset of this tenant` }),
  invalid: (field: string, rule: string) => Generic.invalidRequestBodyProperty({ name: field, rule }),
  invalidParameter: (name: string, rule: string) => Generic.invalidParameter({ name, rule }),
  nameTaken: (name: string) => Generic.conflict({ reason: `an agent named "${name}" already exists in this tenant` }),
  agentExists: (id: string) => Generic.conflict({ reason: `asset ${id} already has an agent` }),
  mappingExists: (reason: string) => Generic.conflict({ reason }),
  etagRequired: () => Generic.preconditionRequired({ header: 'If-Match' }),
  etagMismatch: (what: string, current: number) =>
    Generic.preconditionFailed({ reason: `If-Match does not match the current eTag ${current} of ${what}` }),
  /** The initial access token, registration access token or client assertion was not accepted (401). */
  unauthorized: (reason: string) => Generic.unauthorized({ reason }),
  notYours: (what: string) => Generic.forbidden({ reason: `an agent token may only use its own agent's ${what}` }),
  agentOnly: () => Generic.forbidden({ reason: 'the MindConnect exchange takes agent tokens only' }),
  notOnboarded: (id: string) => Generic.conflict({ reason: `agent ${id} is not onboarded` }),
  badItem: (item: string, rule: string) => Generic.invalidRequestBodyProperty({ name: item, rule }),
  malformed: (reason: string) => Generic.malformedBody({ reason }),
  tooLarge: (limit: number) => Generic.payloadTooLarge({ limit }),
  mediaType: (contentType: string) => Generic.unsupportedMediaType({ contentType, supported: 'multipart/mixed; boundary=…' }),
};
