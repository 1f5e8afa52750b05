/**
 * Records on the wire (IoT Time Series API v3): `{"_time": ISO, "<var>": value, "<var>_qc": int}` checked against the
 * aspect's variables, and the JSON text of records read back. Validation of a whole request happens before
 * anything is stored, so a rejected request stores nothing; errors name the record index and the field.
 */
import { iso, parseInstant } from '../core/instant.js';
import type { ModelVariable, VariableDataType } from '../core/model.js';
import { jsonValueRule } from '../core/values.js';
import { TimeseriesErrors } from './errors.js';
import type { StoredRecord, WriteRecord } from './store.js';

const QC_MIN = -2_147_483_648;
const QC_MAX = 4_294_967_295;
/** Timestamps accepted: after the epoch, before year 10000. */
const T_MIN = 1;
const T_MAX = 253_402_300_799_999;

export const NUMERIC: ReadonlySet<VariableDataType> = new Set(['INT', 'LONG', 'DOUBLE']);

export type VariableMap = ReadonlyMap<string, ModelVariable>;

const quotedNames = new Map<string, string>();
/** JSON string literal of a field name, memoised (names repeat in every record). */
function quoted(name: string): string {
  let q = quotedNames.get(name);
  if (q === undefined) {
    q = JSON.stringify(name);
    if (quotedNames.size < 100_000) quotedNames.set(name, q);
  }
  return q;
}

export function variableMap(variables: readonly ModelVariable[]): VariableMap {
  return new Map(variables.map((v) => [v.name, v]));
}

/** Why a value does not fit a variable, or undefined when it does. */
const valueRule = (v: ModelVariable, value: unknown): string | undefined => jsonValueRule(v.dataType, value, v.length);

export interface RecordRules {
  /** Data types a record may not carry (PATCH: BIG_STRING). */
  forbidden?: ReadonlySet<VariableDataType>;
  /** Earliest and latest accepted timestamps. */
  earliest?: number;
  latest?: number;
}

/** Validates a request's records; throws on the first error. Later records at the same timestamp win. */
export function validateRecords(body: unknown, vars: VariableMap, rules: RecordRules = {}): WriteRecord[] {
  if (!Array.isArray(body)) throw TimeseriesErrors.bodyNotArray({});
  const out: WriteRecord[] = new Array(body.length);
  const earliest = rules.earliest ?? T_MIN;
  const latest = rules.latest ?? T_MAX;
  for (let i = 0; i < body.length; i++) {
    const rec = body[i] as Record<string, unknown>;
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      throw TimeseriesErrors.invalidRecord({ index: i, field: '(record)', rule: 'must be a JSON object' });
    }
    const time = rec['_time'];
    if (time === undefined) throw TimeseriesErrors.invalidRecord({ index: i, field: '_time', rule: 'is required' });
    const t = parseInstant(time);
    if (typeof t === 'string') throw TimeseriesErrors.invalidRecord({ index: i, field: '_time', rule: t });
    if (t < earliest || t > latest) {
      throw TimeseriesErrors.invalidRecord({ index: i, field: '_time',
        rule: `must lie between ${iso(earliest)} and ${iso(latest)}` });
    }
    // The stored JSON text is built while checking, instead of a second pass through JSON.stringify.
    // Stored JSON starts with the canonical `_time`, so reads join stored text without touching it.
    const canonical = (time as string).length === 24 && (time as string)[23] === 'Z' ? time as string : iso(t);
    let json = `{"_time":"${canonical}"`;
    let hasNull = false;
    for (const name in rec) {
      if (name === '_time') continue;
      let value = rec[name];
      const v = vars.get(name);
      if (v) {
        if (value === null) { hasNull = true; continue; }
        if (rules.forbidden?.has(v.dataType)) {
          throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: `is of type ${v.dataType}, which this operation does not accept` });
        }
        if (v.dataType === 'DOUBLE') {
          if (typeof value !== 'number') throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: 'must be a number (DOUBLE)' });
        } else {
          const why = valueRule(v, value);
          if (why) throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: why });
          if (v.dataType === 'TIMESTAMP') rec[name] = value = iso(parseInstant(value) as number);
        }
      } else {
        const base = name.endsWith('_qc') ? vars.get(name.slice(0, -3)) : undefined;
        if (!base) {
          throw TimeseriesErrors.invalidRecord({ index: i, field: name,
            rule: `is not a variable of this aspect (variables: ${[...vars.keys()].join(', ') || 'none'})` });
        }
        if (!base.qualityCode) {
          throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: `is a quality code, but variable ${base.name} has qualityCode false` });
        }
        if (value === null) { hasNull = true; continue; }
        if (typeof value !== 'number' || !Number.isInteger(value) || value < QC_MIN || value > QC_MAX) {
          throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: 'must be a whole number (quality code)' });
        }
      }
      json += `,${quoted(name)}:${typeof value === 'number' ? String(value) : JSON.stringify(value)}`;
    }
    rec['_time'] = undefined;
    if (hasNull) for (const name in rec) if (rec[name] === null) delete rec[name];
    out[i] = { t, values: rec, json: `${json}}` };
  }
  return out;
}

/** Picks `_time` and the selected variables (with their quality codes) from stored JSON. */
function project(json: string, select: readonly string[]): string {
  const all = JSON.parse(json) as Record<string, unknown>;
  const picked: Record<string, unknown> = { _time: all['_time'] };
  for (const name of select) {
    if (name in all) picked[name] = all[name];
    const qc = `${name}_qc`;
    if (qc in all) picked[qc] = all[qc];
  }
  return JSON.stringify(picked);
}

/** The JSON array text of records: stored text joined as it is, or projected by `select`. */
export function renderRecords(records: readonly StoredRecord[], select?: readonly string[]): string {
  if (!select) {
    const parts: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) parts[i] = records[i]!.json;
    return `[${parts.join(',')}]`;
  }
  return `[${records.map((r) => project(r.json, select)).join(',')}]`;
}

/**
 * Stored JSON of a record: `_time` first, then the values in their key order (undefined and null ones and `_time`
 * in values skipped), as validateRecords() and the chunk text write it. Built as text: an object would put
 * integer-like keys (a variable named "1") before `_time`, and take a `__proto__` key as its prototype.
 */
export function recordJson(t: number, values: Record<string, unknown>): string {
  let json = `{"_time":"${iso(t)}"`;
  for (const k in values) {
    if (k === '_time') continue;
    const v = values[k];
    if (v === undefined || v === null) continue;
    json += `,${quoted(k)}:${typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : JSON.stringify(v)}`;
  }
  return `${json}}`;
}
