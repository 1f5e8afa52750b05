/**
 * Aggregates v4 and v3 (reference §3): the interval table, v4 parameter auto-completion and outward widening of
 * unaligned bounds, v3's stricter alignment, and intervals composed from the roll-ups (minute intervals from
 * 2-minute roll-ups, hours from hourly, days/weeks/months from daily ones in the asset's time zone).
 * Invalid enumerations answer 400 listing the allowed values (seed 000 §8.4).
 */
import { Generic } from '../core/errors.js';
import { type AggMap, AGGREGATE_FIELDS, mergeMaps, renderAgg } from './aggregate.js';
import { TimeseriesErrors } from './errors.js';
import type { TimeseriesService, Resolved } from './service.js';
import { TimeseriesService as Service } from './service.js';
import type { TimeseriesStore } from './store.js';
import { DAY, HOUR, iso, type Level, MINUTE, parseInstant, parseLenientInstant, type Zone } from './time.js';

export type Unit = 'minute' | 'hour' | 'day' | 'week' | 'month';
export const UNITS: readonly Unit[] = ['minute', 'hour', 'day', 'week', 'month'];

interface UnitRule { min: number; max: number; step: number; maxRange: number; maxRangeText: string; level: Level }
export const UNIT_RULES: Record<Unit, UnitRule> = {
  minute: { min: 2, max: 60, step: 2, maxRange: DAY, maxRangeText: '24 hours', level: 0 },
  hour: { min: 1, max: 24, step: 1, maxRange: 7 * DAY, maxRangeText: '7 days', level: 1 },
  day: { min: 1, max: 90, step: 1, maxRange: 90 * DAY, maxRangeText: '90 days', level: 2 },
  week: { min: 1, max: 12, step: 1, maxRange: 90 * DAY, maxRangeText: '90 days', level: 2 },
  month: { min: 1, max: 3, step: 1, maxRange: 90 * DAY, maxRangeText: '90 days', level: 2 },
};

const allowedValues = (u: Unit): string => {
  const r = UNIT_RULES[u];
  return u === 'minute' ? '2, 4, 6, …, 60 (even numbers)' : `${r.min} to ${r.max}`;
};

export interface AggregateParams {
  from?: string;
  to?: string;
  intervalUnit?: string;
  intervalValue?: string;
  count?: string;
  select?: string;
}

export interface AggregateInterval {
  starttime: string;
  endtime: string;
  [variable: string]: unknown;
}

/** Fixed length of an interval (calendar units use their nominal length for auto-completion only). */
const nominal = (u: Unit, v: number): number =>
  v * (u === 'minute' ? MINUTE : u === 'hour' ? HOUR : u === 'day' ? DAY : u === 'week' ? 7 * DAY : 30 * DAY);

function parseUnit(raw: string | undefined): Unit | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(UNITS as readonly string[]).includes(raw)) {
    throw Generic.invalidParameter({ name: 'intervalUnit', rule: `"${raw.slice(0, 40)}" is not one of the allowed values ${UNITS.join(', ')}` });
  }
  return raw as Unit;
}

function parseValue(unit: Unit, raw: string): number {
  const r = UNIT_RULES[unit];
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= r.min && n <= r.max && (n - r.min) % r.step === 0)) {
    throw Generic.invalidParameter({ name: 'intervalValue',
      rule: `"${raw.slice(0, 20)}" is not allowed with intervalUnit ${unit}; allowed values are ${allowedValues(unit)}` });
  }
  return n;
}

/** Start of the unit-aligned interval at or before t (minute/hour multiples counted from local midnight). */
export function floorTo(zone: Zone, unit: Unit, value: number, t: number): number {
  switch (unit) {
    case 'minute':
    case 'hour': {
      const len = nominal(unit, value);
      const day = zone.floorDay(t);
      return day + Math.floor((t - day) / len) * len;
    }
    case 'day': return zone.floorDay(t);
    case 'week': return zone.floorWeek(t);
    case 'month': return zone.floorMonth(t);
  }
}

export function nextBoundary(zone: Zone, unit: Unit, value: number, b: number): number {
  switch (unit) {
    case 'minute':
    case 'hour': return b + nominal(unit, value);
    case 'day': return zone.addDays(b, value);
    case 'week': return zone.addDays(b, 7 * value);
    case 'month': return zone.addMonths(b, value);
  }
}

function describe(ms: number): string {
  return ms % DAY === 0 ? `${ms / DAY} days` : ms % HOUR === 0 ? `${ms / HOUR} hours` : `${Math.round(ms / MINUTE)} minutes`;
}

export class AggregatesService {
  constructor(private readonly store: TimeseriesStore, private readonly series: TimeseriesService,
    private readonly now: () => number = Date.now) {}

  /** v4: auto-completes the parameters, widens unaligned bounds outward, returns `{aggregates:[…]}`. */
  async v4(tenant: string, assetId: string | undefined, aspectName: string | undefined, p: AggregateParams) {
    if (!assetId) throw Generic.missingParameter({ name: 'assetId' });
    if (!aspectName) throw Generic.missingParameter({ name: 'aspectName' });
    let from = this.time('from', p.from);
    let to = this.time('to', p.to);
    let unit = parseUnit(p.intervalUnit);
    let value = unit && p.intervalValue ? parseValue(unit, p.intervalValue) : undefined;
    if (!unit && p.intervalValue) throw Generic.missingParameter({ name: 'intervalUnit' });
    let count: number | undefined;
    if (p.count !== undefined && p.count !== '') {
      if (!/^\d+$/.test(p.count) || Number(p.count) < 1 || Number(p.count) > 10_000) {
        throw Generic.invalidParameter({ name: 'count', rule: 'must be a whole number from 1 to 10000' });
      }
      count = Number(p.count);
    }
    const now = this.now();
    if (unit && value === undefined) value = UNIT_RULES[unit].min;
    if (from === undefined && to === undefined) {
      if (!unit) { unit = 'day'; value = 1; }
      to = now;
      from = count ? to - count * nominal(unit, value!) : to - Math.min(7 * DAY, UNIT_RULES[unit].maxRange);
    } else if (to === undefined) {
      to = unit && count ? from! + count * nominal(unit, value!) : Math.min(Math.floor(from! / DAY) * DAY + 90 * DAY, now);
    } else if (from === undefined) {
      from = unit && count ? to - count * nominal(unit, value!) : to - 90 * DAY;
    }
    if (from! >= to) throw TimeseriesErrors.invalidRange({ from: iso(from!), to: iso(to) });
    const range = to - from!;
    if (!unit) {
      if (count) {
        const len = range / count;
        const exact = UNITS.filter((u) => u !== 'month').flatMap((u) => {
          const v = len / nominal(u, 1);
          const r = UNIT_RULES[u];
          return Number.isInteger(v) && v >= r.min && v <= r.max && (v - r.min) % r.step === 0 ? [[u, v] as const] : [];
        });
        if (exact.length === 0) {
          throw TimeseriesErrors.aggregateInterval({ rule: `range / count = ${describe(len)} is no interval of the table (minute: ${allowedValues('minute')}; hour: 1 to 24; day: 1 to 90; week: 1 to 12; month: 1 to 3)` });
        }
        [unit, value] = exact[exact.length - 1]!;
      } else {
        unit = range <= DAY ? 'minute' : range <= 7 * DAY ? 'hour' : 'day';
        value = UNIT_RULES[unit].min;
      }
    }
    const intervals = await this.compute(tenant, assetId, aspectName, unit, value!, from!, to, p.select, false);
    return { aggregates: intervals };
  }

  /** v3: from and to required, aligned to the interval, range a whole number of intervals; returns an array. */
  async v3(tenant: string, assetId: string, aspectName: string, p: AggregateParams): Promise<AggregateInterval[]> {
    if (!p.from) throw Generic.missingParameter({ name: 'from' });
    if (!p.to) throw Generic.missingParameter({ name: 'to' });
    if (!p.intervalUnit) throw Generic.missingParameter({ name: 'intervalUnit' });
    if (!p.intervalValue) throw Generic.missingParameter({ name: 'intervalValue' });
    const from = this.time('from', p.from)!;
    const to = this.time('to', p.to)!;
    const unit = parseUnit(p.intervalUnit)!;
    const value = parseValue(unit, p.intervalValue);
    if (from >= to) throw TimeseriesErrors.invalidRange({ from: p.from, to: p.to });
    return this.compute(tenant, assetId, aspectName, unit, value, from, to, p.select, true);
  }

  private time(name: string, raw: string | undefined): number | undefined {
    if (raw === undefined || raw === '') return undefined;
    const t = parseLenientInstant(raw);
    if (typeof t === 'string') throw Generic.invalidParameter({ name, rule: t });
    return t;
  }

  private async compute(tenant: string, assetId: string, aspectName: string, unit: Unit, value: number,
    from: number, to: number, selectRaw: string | undefined, strict: boolean): Promise<AggregateInterval[]> {
    const rule = UNIT_RULES[unit];
    if (to - from > rule.maxRange) {
      throw TimeseriesErrors.aggregateRangeTooLong({ unit, max: rule.maxRangeText, range: describe(to - from) });
    }
    const r = await this.series.resolve(tenant, assetId, aspectName, false);
    const select = this.parseSelect(r, selectRaw);
    const zone = r.shape.zone;
    let start: number;
    if (strict && unit === 'minute') {
      // v3: minute intervals run from `from` (60 minute allows 05:30-10:30), which must sit on a 2-minute boundary.
      if (zone.floorFixed(from, 2 * MINUTE) !== from) {
        throw TimeseriesErrors.aggregateAlignment({ name: 'from', rule: 'minute intervals must start on a whole even minute' });
      }
      start = from;
    } else {
      start = floorTo(zone, unit, unit === 'minute' || unit === 'hour' ? (strict ? 1 : value) : 1, from);
      if (strict && start !== from) {
        throw TimeseriesErrors.aggregateAlignment({ name: 'from', rule: `must be at the start of a ${unit} in the asset's time zone ${zone.id} (e.g. ${iso(start)})` });
      }
    }
    const bounds = [start];
    let b = start;
    while (b < to) {
      b = nextBoundary(zone, unit, value, b);
      bounds.push(b);
    }
    if (strict && b !== to) {
      throw TimeseriesErrors.aggregateAlignment({ name: 'to', rule: `the range must be a whole number of ${value} ${unit} intervals (e.g. to=${iso(b)})` });
    }
    if ((await this.store.zoneOf(r.key)) !== undefined && (await this.store.zoneOf(r.key)) !== zone.id) {
      await this.store.rebuild(r.key, r.shape);
    }
    const rollups = await this.store.rollups(r.key, rule.level, start, b);
    const out: AggregateInterval[] = [];
    let k = 0;
    for (let i = 0; i + 1 < bounds.length; i++) {
      const lo = bounds[i]!;
      const hi = bounds[i + 1]!;
      const acc: AggMap = {};
      let any = false;
      while (k < rollups.length && rollups[k]!.start < hi) {
        if (rollups[k]!.start >= lo) { mergeMaps(acc, rollups[k]!.aggs); any = true; }
        k++;
      }
      if (!any) continue;
      const interval: AggregateInterval = { starttime: iso(lo), endtime: iso(hi) };
      for (const name of r.vars.keys()) {
        const a = acc[name];
        if (!a) continue;
        if (select && !select.has(name)) continue;
        const rendered = renderAgg(a, Service.isNumeric(r, name)) as unknown as Record<string, unknown>;
        const fields = select?.get(name);
        if (fields && fields.size > 0) {
          for (const f of Object.keys(rendered)) if (!fields.has(f)) delete rendered[f];
        }
        interval[name] = rendered;
      }
      out.push(interval);
    }
    return out;
  }

  /** `select`: `var` (all fields) or `var.field`, comma separated. */
  private parseSelect(r: Resolved, raw: string | undefined): Map<string, Set<string>> | undefined {
    if (raw === undefined || raw === '') return undefined;
    const out = new Map<string, Set<string>>();
    for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, field, extra] = item.split('.');
      if (!name || !r.vars.has(name) || extra !== undefined) {
        throw Generic.invalidParameter({ name: 'select', rule: `${item} is not a variable of aspect ${r.aspect.name} (variables: ${[...r.vars.keys()].join(', ')})` });
      }
      const set = out.get(name) ?? new Set<string>();
      if (field !== undefined) {
        if (!(AGGREGATE_FIELDS as readonly string[]).includes(field)) {
          throw Generic.invalidParameter({ name: 'select', rule: `${field} is not an aggregate field; allowed: ${AGGREGATE_FIELDS.join(', ')}` });
        }
        set.add(field);
      }
      out.set(name, set);
    }
    return out;
  }
}

export { parseInstant };
