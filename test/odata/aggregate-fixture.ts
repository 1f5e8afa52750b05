/**
 * The aggregate property tests' shared fixture (aggregate-page and aggregate-bytes): the interval length, the
 * variables (quoted and non-ASCII names), the entity set and a port that serves a list of roll-up intervals.
 */
import { iso } from '../../src/core/instant.js';
import type { EdmSet } from '../../src/odata/model/edm.js';
import type { AggregateInterval, ODataPort } from '../../src/odata/ports.js';
import { AGGREGATE_ROW } from '../../src/odata/serve/aggregate-rows.js';

export const T0 = Date.parse('2024-01-01T00:00:00.000Z');
export const L = 120_000;
export const VARS = ['p1', 'a"b', 'temp', 'é'];

/** Intervals by their index k (start T0 + k·L), each with its variables' aggregates. */
export type Intervals = { k: number; vars: Record<string, Record<string, unknown>> }[];

export const set = { name: 'AGGR', kind: 'aggregates', properties: AGGREGATE_ROW.map((name) => ({ name })),
  aspect: { name: 'power', variables: VARS.map((name) => ({ name })) } } as unknown as EdmSet;

/** A port whose readAggregates gives the intervals overlapping [from, to) (for any asset). */
export function portOf(intervals: Intervals): ODataPort {
  return {
    aggregateMaxRange: () => 7 * 86_400_000,
    readAggregates: async (_t: string, _a: string, _asp: string, q: { from: number; to: number }) => intervals
      .map(({ k, vars }): AggregateInterval => ({ start: T0 + k * L, end: T0 + (k + 1) * L, startTime: iso(T0 + k * L), endTime: iso(T0 + (k + 1) * L), variables: vars }))
      .filter((iv) => iv.end > q.from && iv.start < q.to),
  } as unknown as ODataPort;
}
