/**
 * Roll-up buckets in an asset's time zone (IANA/Java zone id, read through Intl so the tz database of the runtime
 * is the one source; which ids an asset may have is core/zone.ts's rule, instants are core/instant.ts's).
 * Buckets are left-open, right-closed (IoT Time Series Aggregates API, common semantics: starttime < t <= endtime); a record at t belongs to the
 * bucket whose half-open [start, end) contains t - 1 ms.
 * Minute and hour boundaries are multiples of the length counted in local wall-clock time, so a whole-hour
 * daylight-saving shift keeps every 2-minute and 1-hour bucket exactly as long as its name says; days, weeks
 * (Monday first) and months start at local midnight and are 23 or 25 hours long across a shift.
 */

import { HOUR, MINUTE } from '../core/instant.js';
import { isKnownZone } from '../core/zone.js';

/** A time zone with cached UTC offsets and the bucket arithmetic of §3. */
export class Zone {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();
  private lastSlot = Number.NaN;
  private lastOffset = 0;

  constructor(readonly id: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: id, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  }

  /** UTC offset in ms at instant t; transitions fall on quarter hours, so it is cached per 15 minutes. */
  offset(t: number): number {
    const slot = Math.floor(t / 900_000);
    if (slot === this.lastSlot) return this.lastOffset;
    let off = this.cache.get(slot);
    if (off === undefined) {
      const probe = slot * 900_000;
      const p: Record<string, number> = {};
      for (const part of this.fmt.formatToParts(probe)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      off = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) - probe;
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(slot, off);
    }
    this.lastSlot = slot;
    this.lastOffset = off;
    return off;
  }

  /** Start of the fixed-length bucket (length a divisor of a day, counted from local midnight) holding t. */
  floorFixed(t: number, length: number): number {
    const local = t + this.offset(t);
    return t - (((local % length) + length) % length);
  }

  /** The instant of local midnight at the start of the local calendar date (y, m0, d); m0 may overflow. */
  midnight(y: number, m0: number, d: number): number {
    const wall = Date.UTC(y, m0, d);
    let u = wall - this.offset(wall);
    u = wall - this.offset(u);
    // In a gap (midnight skipped), u lands on the first instant of the day after the jump.
    return u;
  }

  private localDate(t: number): Date {
    return new Date(t + this.offset(t));
  }

  floorDay(t: number): number {
    const l = this.localDate(t);
    const start = this.midnight(l.getUTCFullYear(), l.getUTCMonth(), l.getUTCDate());
    // A midnight in a gap can put start after t for instants right after it; fall back to the day before.
    return start <= t ? start : this.midnight(l.getUTCFullYear(), l.getUTCMonth(), l.getUTCDate() - 1);
  }

  floorWeek(t: number): number {
    const l = this.localDate(this.floorDay(t));
    const back = (l.getUTCDay() + 6) % 7;
    return this.midnight(l.getUTCFullYear(), l.getUTCMonth(), l.getUTCDate() - back);
  }

  floorMonth(t: number): number {
    const l = this.localDate(this.floorDay(t));
    return this.midnight(l.getUTCFullYear(), l.getUTCMonth(), 1);
  }

  /** Adds calendar days/months to a local-midnight instant. */
  addDays(start: number, days: number): number {
    const l = this.localDate(start + 2 * HOUR);
    return this.midnight(l.getUTCFullYear(), l.getUTCMonth(), l.getUTCDate() + days);
  }

  addMonths(start: number, months: number): number {
    const l = this.localDate(start + 2 * HOUR);
    return this.midnight(l.getUTCFullYear(), l.getUTCMonth() + months, 1);
  }
}

const zones = new Map<string, Zone>();
/** One Zone per id for the process (its offset cache is what makes bucket arithmetic cheap). */
export function zoneOf(id: string): Zone {
  let z = zones.get(id);
  if (!z) {
    z = new Zone(isKnownZone(id) ? id : 'UTC');
    zones.set(id, z);
  }
  return z;
}

/** The pre-calculated roll-up levels (IoT Time Series Aggregates API, common semantics: 2 minutes, 1 hour, 1 day). */
export type Level = 0 | 1 | 2;
export const LEVELS: readonly Level[] = [0, 1, 2];

/** Key (bucket start) of the roll-up at `level` holding a record at t. */
export function bucketOf(zone: Zone, level: Level, t: number): number {
  const x = t - 1;
  return level === 0 ? zone.floorFixed(x, 2 * MINUTE) : level === 1 ? zone.floorFixed(x, HOUR) : zone.floorDay(x);
}

/** End of the roll-up bucket that starts at `start`. */
export function bucketEnd(zone: Zone, level: Level, start: number): number {
  return level === 0 ? start + 2 * MINUTE : level === 1 ? start + HOUR : zone.addDays(start, 1);
}
