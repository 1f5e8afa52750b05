/**
 * Instants on the wire: the one ISO-8601 date-time parser of the platform (filters, static TIMESTAMP values,
 * time series records and query ranges, aggregate ranges) and the one printer. Every form checks the calendar
 * (2018-02-30 is refused, not rolled into March) and keeps millisecond precision.
 *
 * Forms:
 * - strict (time series records and ranges, Insights Hub IoT Time Series API): seconds required, a zone required,
 *   sub-millisecond digits refused unless they are zeros;
 * - filter (the `filter` language of Asset Management, and static TIMESTAMP values): seconds optional, a zone
 *   required, sub-millisecond digits truncated (as the Insights Hub filter documentation's `2018-01-01T00:00:00.00Z`
 *   examples suggest they are plain ISO-8601);
 * - lenient (IoT Time Series Aggregates v4 `from`/`to`): a date or a date-time, zone optional (UTC).
 */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export type InstantForm = 'strict' | 'filter' | 'lenient';

const PATTERNS: Record<InstantForm, RegExp> = {
  strict: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/,
  filter: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/,
  lenient: /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/,
};

const SHAPE_RULES: Record<InstantForm, string> = {
  strict: 'must be an ISO-8601 date-time with a zone, such as 2024-01-01T00:00:00.000Z',
  filter: 'must be an ISO-8601 timestamp with a zone, such as 2018-01-01T00:00:00.00Z',
  lenient: 'must be an ISO-8601 date or date-time, such as 2024-01-01 or 2024-01-01T10:30:00Z',
};

const NOT_A_STRING = 'must be an ISO-8601 date-time string such as 2024-01-01T00:00:00.000Z';

/** The date of the last canonical instant parsed (YYYYMMDD as a number) and its UTC midnight (NaN: not a calendar date). */
let lastDate = -1;
let lastMidnight = NaN;

/** The two decimal digits at i and i + 1, or NaN when either is not a digit. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48; const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The canonical form `YYYY-MM-DDTHH:MM:SS.sssZ` (what every form accepts alike, and what agents send in every
 * record) without the regular expression and without allocating: digits are read two at a time, and the date's
 * midnight is kept for the next record of the same day. NaN for any other text, or a value out of range, which
 * the general parser then answers with its rule (test/core/hot-parsers.test.ts holds both to the same answers).
 */
function canonicalInstant(raw: string): number {
  if (raw.length !== 24 || raw.charCodeAt(23) !== 90 /* Z */ || raw.charCodeAt(4) !== 45 || raw.charCodeAt(7) !== 45
    || raw.charCodeAt(10) !== 84 /* T */ || raw.charCodeAt(13) !== 58 || raw.charCodeAt(16) !== 58 || raw.charCodeAt(19) !== 46) return NaN;
  const year = two(raw, 0) * 100 + two(raw, 2); const month = two(raw, 5); const day = two(raw, 8);
  const hour = two(raw, 11); const minute = two(raw, 14); const second = two(raw, 17);
  const c = raw.charCodeAt(22) - 48;
  const ms = two(raw, 20) * 10 + (c >= 0 && c <= 9 ? c : NaN);
  // any non-digit made a NaN above, and NaN fails every comparison
  if (!(hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return NaN;
  const date = year * 10_000 + month * 100 + day;
  if (date !== lastDate) {
    if (date !== date) return NaN;
    const utc = Date.UTC(year, month - 1, day);
    const check = new Date(utc);
    // the general parser's calendar check (Date.UTC maps years 0-99 to 1900-1999: refused there too)
    lastMidnight = check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day ? utc : NaN;
    lastDate = date;
  }
  return lastMidnight + hour * HOUR + minute * MINUTE + second * 1000 + ms;
}

/** Parses an instant in the given form; returns epoch milliseconds, or the rule the text breaks. */
export function parseInstant(raw: unknown, form: InstantForm = 'strict'): number | string {
  if (typeof raw !== 'string') return NOT_A_STRING;
  const fast = canonicalInstant(raw);
  if (fast === fast) return fast; // not NaN
  const m = PATTERNS[form].exec(raw);
  if (!m) return SHAPE_RULES[form];
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fraction = frac ?? '';
  if (form === 'strict' && fraction.length > 3 && /[^0]/.test(fraction.slice(3))) {
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
    if (!zm || Number(zm[2]) > 23 || Number(zm[3]) > 59) return 'has an invalid zone offset';
    offset = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3])) * MINUTE;
  }
  return utc - offset;
}

/** The instant as epoch ms, or undefined when it is not one (for callers that phrase their own rule). */
export function instantOrUndefined(raw: unknown, form: InstantForm = 'strict'): number | undefined {
  const t = parseInstant(raw, form);
  return typeof t === 'number' ? t : undefined;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
/** The last day printed (days since the epoch) and its `YYYY-MM-DDT`. */
let isoDay = NaN;
let isoDayText = '';
/** 9999-12-31T23:59:59.999Z: up to here toISOString prints a four-digit year. */
const ISO_FAST_MAX = 253_402_300_799_999;

/**
 * The canonical wire form: UTC with milliseconds (2024-01-01T00:00:00.000Z), as Date#toISOString prints it. Roll-up
 * answers print thousands per request (first, last, min and max times), mostly of one day: the day's text is kept
 * and the time of day is composed; other instants (before 1970, fractions, invalid) go through Date.
 */
export function iso(t: number): string {
  if (!(t >= 0 && t <= ISO_FAST_MAX && Number.isInteger(t))) return new Date(t).toISOString();
  const day = Math.floor(t / DAY);
  if (day !== isoDay) {
    isoDayText = new Date(day * DAY).toISOString().slice(0, 11);
    isoDay = day;
  }
  let rest = t - day * DAY;
  const hour = Math.floor(rest / HOUR);
  rest -= hour * HOUR;
  const minute = Math.floor(rest / MINUTE);
  rest -= minute * MINUTE;
  const second = Math.floor(rest / 1000);
  const ms = rest - second * 1000;
  return `${isoDayText}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
