/**
 * The page number of every list endpoint (Insights Hub API paging: pages counted from 0): one bound and one
 * message for all contexts, so a client sees the same rule whichever list it pages through.
 */
import { Generic } from './errors.js';

/** The highest page number a list accepts (an offset beyond it is never meaningful and would overflow SQL). */
export const MAX_PAGE = 1_000_000_000;

/**
 * The checked page number of a list request: absent or empty means 0; a number or a numeric string is accepted
 * when it is a whole number from 0 to MAX_PAGE, anything else is refused naming `page` and the rule.
 */
export function pageNumber(raw: unknown): number {
  if (raw === undefined || raw === '') return 0;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE) {
    throw Generic.invalidParameter({ name: 'page', rule: `must be a whole number from 0 to ${MAX_PAGE}` });
  }
  return n;
}
