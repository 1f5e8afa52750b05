/**
 * Query parameters a route takes once each. fastify's query parser gives a parameter named more than once as an
 * array of its values; a route whose parameters are single-valued reads them through here, so `?sort=a&sort=b`
 * counts as its last value (as the time series routes always did) instead of reaching a service that expects a
 * string (that was an HTTP 500 on the Asset Management files, Event Management and Agent Management lists).
 * Routes with a parameter that may really repeat (the assets' Spring sort, `sort=name,asc&sort=typeId,desc`) read
 * that one as given.
 */

/** The last value of a parameter given more than once; the value itself otherwise. */
export function lastValue(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

/** The query with every parameter reduced to its last value. */
export function singleValues(raw: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) out[k] = lastValue(v);
  return out;
}
