/** instantOfWallClock: the local time a CSV import reads without a zone, as an instant, around daylight-saving changes too. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { instantOfWallClock } from '../../src/core/zone.js';

const wallOf = (zone: string, t: number): number => {
  const p: Record<string, number> = {};
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric',
    day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  for (const part of fmt.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) + (((t % 1000) + 1000) % 1000);
};

it('reads local wall-clock times in their zone, in winter, summer, gaps and overlaps', () => {
  const at = (s: string) => Date.parse(`${s}Z`);
  assert.equal(instantOfWallClock('Europe/Berlin', at('2026-12-02T17:40:00')), Date.parse('2026-12-02T16:40:00Z'));
  assert.equal(instantOfWallClock('Europe/Berlin', at('2026-07-01T08:00:00')), Date.parse('2026-07-01T06:00:00Z'));
  assert.equal(instantOfWallClock('UTC', at('2026-07-01T08:00:00.123')), Date.parse('2026-07-01T08:00:00.123Z'));
  assert.equal(instantOfWallClock('America/New_York', at('2026-01-15T12:00:00')), Date.parse('2026-01-15T17:00:00Z'));
  // 02:30 does not exist on 2026-03-29 in Berlin: the instant after the jump (03:30 CEST)
  assert.equal(instantOfWallClock('Europe/Berlin', at('2026-03-29T02:30:00')), Date.parse('2026-03-29T01:30:00Z'));
  // 02:30 exists twice on 2026-10-25: the later one (CET)
  assert.equal(instantOfWallClock('Europe/Berlin', at('2026-10-25T02:30:00')), Date.parse('2026-10-25T01:30:00Z'));
});

it('gives back the wall clock it was given, for every instant of several zones', () => {
  fc.assert(fc.property(fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'),
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, t) => {
      const wall = wallOf(zone, t);
      assert.equal(wallOf(zone, instantOfWallClock(zone, wall)), wall);
    }), { numRuns: 2000 });
});
