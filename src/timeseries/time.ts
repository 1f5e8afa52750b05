/**
 * Time in the time series context: ISO-8601 parsing at millisecond precision, and bucket boundaries in an
 * asset's time zone (IANA/Java zone id, read through Intl so the tz database of the runtime is the one source).
 * Buckets are left-open, right-closed (reference §3.1: starttime < t <= endtime); a record at t belongs to the
 * bucket whose half-open [start, end) contains t - 1 ms.
 * Minute and hour boundaries are multiples of the length counted in local wall-clock time, so a whole-hour
 * daylight-saving shift keeps every 2-minute and 1-hour bucket exactly as long as its name says; days, weeks
 * (Monday first) and months start at local midnight and are 23 or 25 hours long across a shift.
 */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a strict ISO-8601 date-time with zone; returns the epoch ms or a reason it is not one. */
export function parseInstant(raw: unknown): number | string {
  if (typeof raw !== 'string') return 'must be an ISO-8601 date-time string such as 2024-01-01T00:00:00.000Z';
  const m = ISO.exec(raw);
  if (!m) return 'must be an ISO-8601 date-time with a zone, such as 2024-01-01T00:00:00.000Z';
  return fromParts(m, raw);
}

function fromParts(m: RegExpExecArray, raw: string): number | string {
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fraction = frac ?? '';
  if (fraction.length > 3 && /[^0]/.test(fraction.slice(3))) {
    return 'has sub-millisecond digits; timestamps are kept at millisecond precision';
  }
  const ms = Number((fraction + '000').slice(0, 3));
  const year = Number(y); const month = Number(mo); const day = Number(d);
  const hour = Number(h ?? 0); const minute = Number(mi ?? 0); const second = Number(s ?? 0);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day
    || hour > 23 || minute > 59 || second > 59) {
    return `is not a valid calendar date-time ("${raw.slice(0, 40)}")`;
  }
  let offset = 0;
  if (zone && zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!zm) return 'has an invalid zone offset';
    offset = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3])) * MINUTE;
  }
  return utc - offset;
}

const LENIENT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Aggregates v4 form: a date or date-time, with or without zone (no zone means UTC), e.g. 2020-02-20T10Z. */
export function parseLenientInstant(raw: string): number | string {
  const m = LENIENT.exec(raw);
  if (!m) return 'must be an ISO-8601 date or date-time, such as 2024-01-01 or 2024-01-01T10:30:00Z';
  return fromParts(m, raw);
}

export const iso = (t: number): string => new Date(t).toISOString();

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

  static isValid(id: string): boolean {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: id });
      return true;
    } catch {
      return false;
    }
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
    z = new Zone(Zone.isValid(id) ? id : 'UTC');
    zones.set(id, z);
  }
  return z;
}

/** The pre-calculated roll-up levels (reference §3.1: 2 minutes, 1 hour, 1 day). */
export type Level = 0 | 1 | 2;
export const LEVELS: readonly Level[] = [0, 1, 2];
export const LEVEL_NAMES = ['2 minutes', '1 hour', '1 day'] as const;

/** Key (bucket start) of the roll-up at `level` holding a record at t. */
export function bucketOf(zone: Zone, level: Level, t: number): number {
  const x = t - 1;
  return level === 0 ? zone.floorFixed(x, 2 * MINUTE) : level === 1 ? zone.floorFixed(x, HOUR) : zone.floorDay(x);
}

/** End of the roll-up bucket that starts at `start`. */
export function bucketEnd(zone: Zone, level: Level, start: number): number {
  return level === 0 ? start + 2 * MINUTE : level === 1 ? start + HOUR : zone.addDays(start, 1);
}
