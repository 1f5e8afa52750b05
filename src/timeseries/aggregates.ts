/**
 * Aggregates v4 and v3 (IoT Time Series Aggregates API): v4 parameter auto-completion and outward widening of unaligned bounds,
 * v3's stricter alignment, and intervals composed from the roll-ups (minute intervals from 2-minute roll-ups,
 * hours from hourly, days/weeks/months from daily ones in the asset's time zone). A series whose roll-ups are
 * aligned to another zone than its asset's is answered from its records instead: a read never writes.
 */
import { Generic } from '../core/errors.js';
import { DAY, iso, MINUTE } from '../core/instant.js';
import { bucketOf, type Level } from './buckets.js';
import { TimeseriesErrors } from './errors.js';
import { allowedValues, describe, floorTo, isAllowedValue, nextBoundary, nominal, type Unit, UNIT_RULES, UNITS } from './intervals.js';
import type { AggregateQuery, AggregateQueryV3, AggregateSelect } from './params.js';
import { type AnswerVariable, type IntervalAggs, writeIntervals } from './aggregate-json.js';
import { type AggMap, addRecord, mergeMaps, renderAgg, variableKeys } from './rollup.js';
import type { Resolved, TimeseriesService } from './service.js';
import { TimeseriesService as Service } from './service.js';
import type { Rollup, TimeseriesStore } from './store.js';

export interface AggregateInterval {
  starttime: string;
  endtime: string;
  [variable: string]: unknown;
}

/** Records read per page when a misaligned series is aggregated from its records. */
const PAGE = 10_000;

export class AggregatesService {
  constructor(private readonly store: TimeseriesStore, private readonly series: TimeseriesService,
    private readonly now: () => number = Date.now) {}

  /** v4: auto-completes the parameters, widens unaligned bounds outward, returns `{aggregates:[…]}`. */
  async v4(tenant: string, assetId: string, aspectName: string, q: AggregateQuery): Promise<{ aggregates: AggregateInterval[] }> {
    const { unit, value, from, to } = this.complete(q);
    const intervals = await this.compute(tenant, assetId, aspectName, unit, value, from, to, q.select, false);
    return { aggregates: intervals };
  }

  /** v4's answer as the bytes of JSON.stringify(await v4(…)) (aggregate-json.ts). */
  async v4Bytes(tenant: string, assetId: string, aspectName: string, q: AggregateQuery): Promise<Buffer> {
    const { unit, value, from, to } = this.complete(q);
    return this.bytes(tenant, assetId, aspectName, unit, value, from, to, q.select, false, '{"aggregates":', '}');
  }

  /** v4's auto-completion of the parameters. */
  private complete(q: AggregateQuery): { unit: Unit; value: number; from: number; to: number } {
    let { from, to, unit, value } = q;
    const { count } = q;
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
          return isAllowedValue(u, v) ? [[u, v] as const] : [];
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
    return { unit, value: value!, from: from!, to };
  }

  /** v3: aligned to the interval, the range a whole number of intervals; returns an array. */
  async v3(tenant: string, assetId: string, aspectName: string, q: AggregateQueryV3): Promise<AggregateInterval[]> {
    if (q.from >= q.to) throw TimeseriesErrors.invalidRange({ from: iso(q.from), to: iso(q.to) });
    return this.compute(tenant, assetId, aspectName, q.unit, q.value, q.from, q.to, q.select, true);
  }

  /** v3's answer as the bytes of JSON.stringify(await v3(…)) (aggregate-json.ts). */
  async v3Bytes(tenant: string, assetId: string, aspectName: string, q: AggregateQueryV3): Promise<Buffer> {
    if (q.from >= q.to) throw TimeseriesErrors.invalidRange({ from: iso(q.from), to: iso(q.to) });
    return this.bytes(tenant, assetId, aspectName, q.unit, q.value, q.from, q.to, q.select, true, '', '');
  }

  private async bytes(tenant: string, assetId: string, aspectName: string, unit: Unit, value: number,
    from: number, to: number, selectItems: readonly AggregateSelect[] | undefined, strict: boolean,
    open: string, close: string): Promise<Buffer> {
    const { r, select, intervals } = await this.intervals(tenant, assetId, aspectName, unit, value, from, to, selectItems, strict);
    // A variable named like an interval's own key takes that key's place in the objects: those go through them.
    if (r.vars.has('starttime') || r.vars.has('endtime')) {
      const objects = this.render(r, select, intervals);
      return Buffer.from(open ? `${open}${JSON.stringify(objects)}${close}` : JSON.stringify(objects));
    }
    const variables: AnswerVariable[] = [];
    for (const name of r.vars.keys()) {
      if (select && !select.has(name)) continue;
      const fields = select?.get(name);
      variables.push({ name, numeric: Service.isNumeric(r, name), fields: fields && fields.size > 0 ? fields : undefined });
    }
    return writeIntervals(intervals, variables, open, close);
  }

  private async compute(tenant: string, assetId: string, aspectName: string, unit: Unit, value: number,
    from: number, to: number, selectItems: readonly AggregateSelect[] | undefined, strict: boolean): Promise<AggregateInterval[]> {
    const { r, select, intervals } = await this.intervals(tenant, assetId, aspectName, unit, value, from, to, selectItems, strict);
    return this.render(r, select, intervals);
  }

  /** The intervals of an answer with their merged roll-ups (those without any left out). */
  private async intervals(tenant: string, assetId: string, aspectName: string, unit: Unit, value: number,
    from: number, to: number, selectItems: readonly AggregateSelect[] | undefined, strict: boolean):
    Promise<{ r: Resolved; select: Map<string, Set<string>> | undefined; intervals: IntervalAggs[] }> {
    const rule = UNIT_RULES[unit];
    if (to - from > rule.maxRange) {
      throw TimeseriesErrors.aggregateRangeTooLong({ unit, max: rule.maxRangeText, range: describe(to - from) });
    }
    const r = await this.series.resolve(tenant, assetId, aspectName, false);
    const select = selectItems ? this.selection(r, selectItems) : undefined;
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
    const rollups = await this.series.rollupsAligned(r)
      ? await this.store.rollups(r.key, rule.level, start, b)
      : await this.fromRecords(r, rule.level, start, b);
    const intervals: IntervalAggs[] = [];
    let k = 0;
    for (let i = 0; i + 1 < bounds.length; i++) {
      const lo = bounds[i]!;
      const hi = bounds[i + 1]!;
      // An interval of one roll-up (a day of daily ones) reads its map as it is: the store's maps are fresh per read.
      let acc: AggMap | undefined;
      let own = false;
      while (k < rollups.length && rollups[k]!.start < hi) {
        const aggs = rollups[k]!.aggs;
        if (rollups[k]!.start >= lo) {
          if (!acc) acc = aggs;
          else {
            if (!own) { const copy: AggMap = {}; mergeMaps(copy, acc); acc = copy; own = true; }
            mergeMaps(acc, aggs);
          }
        }
        k++;
      }
      if (acc) intervals.push({ lo, hi, acc });
    }
    return { r, select, intervals };
  }

  /** The intervals as the answer's objects (renderAgg per variable, the selection's fields). */
  private render(r: Resolved, select: Map<string, Set<string>> | undefined, intervals: readonly IntervalAggs[]): AggregateInterval[] {
    const out: AggregateInterval[] = [];
    // The last few instants printed are kept: each interval's end is the next one's start, and the variables of a
    // record share its time (an interval's first and last times mostly), so most are printed once per interval.
    const RECENT = 4;
    const recentT = new Array<number>(RECENT).fill(NaN);
    const recentText = new Array<string>(RECENT).fill('');
    let slot = 0;
    const time = (t: number): string => {
      for (let i = 0; i < RECENT; i++) if (recentT[i] === t) return recentText[i]!;
      const text = iso(t);
      recentT[slot] = t;
      recentText[slot] = text;
      slot = (slot + 1) % RECENT;
      return text;
    };
    for (const { lo, hi, acc } of intervals) {
      const interval: AggregateInterval = { starttime: time(lo), endtime: time(hi) };
      for (const name of r.vars.keys()) {
        const a = acc[name];
        if (!a) continue;
        if (select && !select.has(name)) continue;
        const rendered = renderAgg(a, Service.isNumeric(r, name), time) as unknown as Record<string, unknown>;
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

  /**
   * The roll-ups of a level with from <= start < to computed from the records in the asset's zone now, for a
   * series whose stored roll-ups are aligned to another zone (until its next write realigns them).
   */
  private async fromRecords(r: Resolved, level: Level, from: number, to: number): Promise<Rollup[]> {
    const zone = r.shape.zone;
    const keys = variableKeys(r.vars);
    const buckets = new Map<number, AggMap>();
    // Bucket starts in [from, to) hold the records with from < t <= to.
    for (let after = from; ;) {
      const rows = await this.store.read(r.key, { from: after, to, limit: PAGE, desc: false });
      for (const row of rows) {
        const start = bucketOf(zone, level, row.t);
        let aggs = buckets.get(start);
        if (!aggs) buckets.set(start, aggs = {});
        addRecord(aggs, row.t, JSON.parse(row.json) as Record<string, unknown>, keys);
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.t;
    }
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([start, aggs]) => ({ start, aggs }));
  }

  /** `select` items by variable, each with the fields asked for (none: all); every variable one of the aspect. */
  private selection(r: Resolved, items: readonly AggregateSelect[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const { variable, field } of items) {
      if (!r.vars.has(variable)) {
        throw Generic.invalidParameter({ name: 'select', rule: `${variable} is not a variable of aspect ${r.aspect.name} (variables: ${[...r.vars.keys()].join(', ')})` });
      }
      const set = out.get(variable) ?? new Set<string>();
      if (field !== undefined) set.add(field);
      out.set(variable, set);
    }
    return out;
  }
}
