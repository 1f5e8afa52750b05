/**
 * Errors of Event Management (Insights Hub "Event Management API v3"), added to the one catalogue; everything else
 * this context raises is a generic code (missing/invalid parameter or body property, noMatch, 412, 428).
 */
import { defineError, Generic } from '../core/errors.js';

export const EventErrors = {
  typeInUse: defineError<'id' | 'count'>('mdsp.core.eventmanagement.eventTypeInUse', 409,
    'Event type {id} still has {count} events; it cannot be deleted while events of it exist.'),
  typeExists: defineError<'id'>('mdsp.core.eventmanagement.eventTypeExists', 409, 'An event type with the id {id} exists already.'),
  readOnlyType: defineError<'id'>('mdsp.core.eventmanagement.readOnlyEventType', 403,
    'Event type {id} is shared by every tenant and cannot be changed.'),
};

/** Parses If-Match (`3`, `"3"`, `W/"3"` or `*`) and compares it with the current etag: 428 without it, 412 on mismatch. */
export function checkIfMatch(raw: string | undefined, current: number, what: string): void {
  if (raw === undefined || raw.trim() === '') throw Generic.preconditionRequired({ header: 'If-Match' });
  const m = /^(?:W\/)?"?(\d{1,15}|\*)"?$/.exec(raw.trim());
  if (!m) throw Generic.invalidParameter({ name: 'If-Match', rule: 'must be an integer etag such as "3", or *' });
  if (m[1] !== '*' && Number(m[1]) !== current) {
    throw Generic.preconditionFailed({ reason: `If-Match ${m[1]} does not match the current etag ${current} of ${what}` });
  }
}

export const concurrentChange = (what: string) =>
  Generic.preconditionFailed({ reason: `${what} was changed concurrently; read it again and retry with its new etag` });
