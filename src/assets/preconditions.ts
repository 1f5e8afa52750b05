/**
 * Optimistic locking of the asset model (Asset Management API v3, ETags): integer etags, If-Match on every modification
 * (428 without it, 412 on mismatch), If-None-Match: * as create-only (409 when the resource exists).
 */
import { Generic } from '../core/errors.js';
import { AssetErrors } from './errors.js';

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Parses an etag from If-Match/If-None-Match: `3`, `"3"` or `W/"3"`; `*` stays `*`. */
export function parseEtag(raw: string, header: string): number | '*' {
  const v = raw.trim();
  if (v === '*') return '*';
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(v);
  if (!m) throw Generic.invalidParameter({ name: header, rule: 'must be an integer etag such as "3", or *' });
  return Number(m[1]);
}

/** Asset Management API v3, ETags: every modification needs If-Match (428 without it, 412 when it does not match). */
export function checkIfMatch(pre: Preconditions, current: number, what: string): void {
  if (pre.ifMatch === undefined || pre.ifMatch === '') throw Generic.preconditionRequired({ header: 'If-Match' });
  const want = parseEtag(pre.ifMatch, 'If-Match');
  if (want !== '*' && want !== current) {
    throw Generic.preconditionFailed({ reason: `If-Match ${want} does not match the current etag ${current} of ${what}` });
  }
}

/** PUT on an existing resource: `If-None-Match: *` means create-only (409); otherwise If-Match is required. */
export function checkUpdatePreconditions(pre: Preconditions, current: number, resource: string, id: string): void {
  if (pre.ifNoneMatch !== undefined && pre.ifNoneMatch.trim() === '*') throw AssetErrors.exists({ resource, id });
  checkIfMatch(pre, current, `${resource} ${id}`);
}

export const concurrentChange = (what: string) =>
  Generic.preconditionFailed({ reason: `${what} was changed concurrently; read it again and retry with its new etag` });
