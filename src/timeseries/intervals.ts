/**
 * The aggregate interval table of IoT Time Series Aggregates v4 (units, allowed values, maximum ranges, the roll-up
 * level each unit is composed from) and calendar stepping of intervals in an asset's time zone: minute and hour
 * multiples counted from local midnight, days, weeks (Monday first) and months at local midnight.
 */
import { DAY, HOUR, MINUTE } from '../core/instant.js';
import type { Level, Zone } from './buckets.js';

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

/** The allowed intervalValues of a unit, as error messages list them. */
export const allowedValues = (u: Unit): string => {
  const r = UNIT_RULES[u];
  return u === 'minute' ? '2, 4, 6, …, 60 (even numbers)' : `${r.min} to ${r.max}`;
};

/** True when `value` is an allowed intervalValue of `unit`. */
export function isAllowedValue(unit: Unit, value: number): boolean {
  const r = UNIT_RULES[unit];
  return Number.isInteger(value) && value >= r.min && value <= r.max && (value - r.min) % r.step === 0;
}

/** Fixed length of an interval (calendar units use their nominal length for auto-completion only). */
export const nominal = (u: Unit, v: number): number =>
  v * (u === 'minute' ? MINUTE : u === 'hour' ? HOUR : u === 'day' ? DAY : u === 'week' ? 7 * DAY : 30 * DAY);

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

/** A duration as error messages give it: whole days, whole hours, else minutes. */
export function describe(ms: number): string {
  return ms % DAY === 0 ? `${ms / DAY} days` : ms % HOUR === 0 ? `${ms / HOUR} hours` : `${Math.round(ms / MINUTE)} minutes`;
}
