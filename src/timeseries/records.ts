/**
 * Records on the wire (IoT Time Series API v3): `{"_time": ISO, "<var>": value, "<var>_qc": int}` checked against the
 * aspect's variables, and the JSON text of records read back. Validation of a whole request happens before
 * anything is stored, so a rejected request stores nothing; errors name the record index and the field.
 */
import { iso, parseInstant } from '../core/instant.js';
import type { ModelVariable, VariableDataType } from '../core/model.js';
import { INT_MAX, INT_MIN, jsonValueRule, maxLength } from '../core/values.js';
import { TimeseriesErrors } from './errors.js';
import { columnValues, type RecordColumns } from './record-columns.js';
import type { SeriesKey, SeriesShape, SeriesWrite, StoredRecord, WriteRecord } from './store.js';

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

/**
 * A checked record. Its stored text is made only when asked for: the chunk store encodes `values` and renders
 * text from its columns, so on the write path nothing reads it (the port keeps `json` for other stores).
 */
class CheckedRecord implements WriteRecord {
  /**
   * `time`: the `_time` as it came (its canonical form is kept as it is, any other is printed again); `count`: how
   * many values (quality codes included) the record holds.
   */
  constructor(readonly t: number, readonly values: Record<string, unknown>, private readonly time: string,
    readonly count: number) {}

  /** `{"_time":"<24-char ISO>", ...values}` in the record's key order. */
  get json(): string {
    const time = this.time;
    let json = `{"_time":"${time.length === 24 && time[23] === 'Z' ? time : iso(this.t)}"`;
    const values = this.values;
    for (const name in values) {
      if (name === '_time') continue;
      const value = values[name];
      json += `,${quoted(name)}:${typeof value === 'number' ? String(value) : JSON.stringify(value)}`;
    }
    return `${json}}`;
  }
}

/**
 * Checks record `i` field by field, the reference every faster check agrees with (test/timeseries/records.property
 * .test.ts): returns it normalised in place (`_time` set undefined, nulls deleted, TIMESTAMP values canonical) or
 * throws the first rule it breaks, naming the field.
 */
function checkRecord(raw: unknown, i: number, vars: VariableMap, rules: RecordRules, earliest: number, latest: number): WriteRecord {
  const rec = raw as Record<string, unknown>;
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
  let hasNull = false;
  let count = 0;
  for (const name in rec) {
    if (name === '_time') continue;
    const value = rec[name];
    const v = vars.get(name);
    if (v) {
      if (value === null) { hasNull = true; continue; }
      if (rules.forbidden?.has(v.dataType)) {
        throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: `is of type ${v.dataType}, which this operation does not accept` });
      }
      const why = valueRule(v, value);
      if (why) throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: why });
      if (v.dataType === 'TIMESTAMP') rec[name] = iso(parseInstant(value) as number);
      count++;
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
      if (!isQualityCode(value)) {
        throw TimeseriesErrors.invalidRecord({ index: i, field: name, rule: 'must be a whole number (quality code)' });
      }
      count++;
    }
  }
  rec['_time'] = undefined;
  if (hasNull) for (const name in rec) if (rec[name] === null) delete rec[name];
  return new CheckedRecord(t, rec, time as string, count);
}

const isQualityCode = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= QC_MIN && value <= QC_MAX;

/** Validates a request's records field by field (checkRecord for each); throws on the first error. */
export function validateRecordsGeneric(body: unknown, vars: VariableMap, rules: RecordRules = {}): WriteRecord[] {
  if (!Array.isArray(body)) throw TimeseriesErrors.bodyNotArray({});
  const out: WriteRecord[] = new Array(body.length);
  const earliest = rules.earliest ?? T_MIN;
  const latest = rules.latest ?? T_MAX;
  for (let i = 0; i < body.length; i++) out[i] = checkRecord(body[i], i, vars, rules, earliest, latest);
  return out;
}

// ---- the compiled check: one table per variable map, a switch per field ----

/** What a field name is in an aspect: how its values are checked, or DEFER (checkRecord decides, and says why). */
const DEFER = 0; const SKIP = 1; const DOUBLE = 2; const INT = 3; const LONG = 4; const BOOLEAN = 5; const QC = 6;
const STRING = 7;

interface Compiled {
  codes: Map<string, number>;
  /** STRING and BIG_STRING: the longest value. */
  lengths: Map<string, number>;
}

/** Compiled per variable map: resolved series (service.ts) keep theirs per model version, so this is too. */
const compiledMaps = new WeakMap<VariableMap, Compiled>();

function compile(vars: VariableMap): Compiled {
  let c = compiledMaps.get(vars);
  if (c) return c;
  const codes = new Map<string, number>();
  const lengths = new Map<string, number>();
  // Quality codes first: a variable named `x_qc` is a variable (checkRecord looks variables up first).
  for (const v of vars.values()) if (v.qualityCode) codes.set(`${v.name}_qc`, QC);
  for (const v of vars.values()) {
    switch (v.dataType) {
      case 'DOUBLE': codes.set(v.name, DOUBLE); break;
      case 'INT': codes.set(v.name, INT); break;
      case 'LONG': codes.set(v.name, LONG); break;
      case 'BOOLEAN': codes.set(v.name, BOOLEAN); break;
      case 'STRING': case 'BIG_STRING':
        codes.set(v.name, STRING);
        lengths.set(v.name, maxLength(v.dataType, v.length));
        break;
      default: codes.set(v.name, DEFER); // TIMESTAMP: normalised by checkRecord
    }
  }
  codes.set('_time', SKIP);
  compiledMaps.set(vars, c = { codes, lengths });
  return c;
}

/**
 * Validates a request's records; throws on the first error. Later records at the same timestamp win. A record
 * is checked by the variable map's compiled table; whatever the table does not accept at once (a null, a
 * TIMESTAMP, an unknown field, a value that breaks a rule, a PATCH's forbidden types) goes to checkRecord, which
 * accepts it the same way or throws the error that names the field and the rule.
 */
export function validateRecords(body: unknown, vars: VariableMap, rules: RecordRules = {}): WriteRecord[] {
  if (!Array.isArray(body)) throw TimeseriesErrors.bodyNotArray({});
  const earliest = rules.earliest ?? T_MIN;
  const latest = rules.latest ?? T_MAX;
  if (rules.forbidden) return validateRecordsGeneric(body, vars, rules);
  const { codes, lengths } = compile(vars);
  const out: WriteRecord[] = new Array(body.length);
  // The codes of the previous record's fields by position: records of a body mostly share their key order, and
  // JSON.parse interns keys, so a same-name test is a pointer compare where a Map lookup hashes (code = codes(name)).
  const names: string[] = [];
  const known: (number | undefined)[] = [];
  records: for (let i = 0; i < body.length; i++) {
    const rec = body[i] as Record<string, unknown>;
    const time = rec !== null && typeof rec === 'object' ? rec['_time'] : undefined;
    const t = typeof time === 'string' && !Array.isArray(rec) ? parseInstant(time) : NaN;
    if (typeof t !== 'number' || !(t >= earliest && t <= latest)) {
      out[i] = checkRecord(rec, i, vars, rules, earliest, latest);
      continue;
    }
    let count = 0;
    let k = 0;
    for (const name in rec) {
      const value = rec[name];
      count++;
      let code: number | undefined;
      if (names[k] === name) code = known[k];
      else { code = codes.get(name); names[k] = name; known[k] = code; }
      k++;
      switch (code) {
        case SKIP: count--; continue;
        case DOUBLE: if (typeof value === 'number') continue; break;
        case INT: if (typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX) continue; break;
        case LONG: if (Number.isSafeInteger(value)) continue; break;
        case BOOLEAN: if (typeof value === 'boolean') continue; break;
        case QC: if (isQualityCode(value)) continue; break;
        case STRING: if (typeof value === 'string' && value.length <= lengths.get(name)!) continue; break;
      }
      out[i] = checkRecord(rec, i, vars, rules, earliest, latest);
      continue records;
    }
    rec['_time'] = undefined;
    out[i] = new CheckedRecord(t, rec, time as string, count);
  }
  return out;
}

/** Records of a body read into columns (record-columns.ts) and checked there: what validateRecords would give. */
export interface CheckedColumns {
  readonly cols: RecordColumns;
  /** Values (quality codes included), as valueCount counts them. */
  readonly count: number;
}

/**
 * Checks records read into columns as validateRecords checks them (a PUT's rules: no forbidden types, the full
 * time range), column by column with the same compiled table, and fills the segments' time slots. Undefined
 * when any value is not accepted at once: then the caller checks plainRecords(cols) with validateRecords, which
 * accepts them the same way (normalised) or throws the error that names the record, the field and the rule.
 */
export function checkColumns(cols: RecordColumns, vars: VariableMap): CheckedColumns | undefined {
  const { codes, lengths } = compile(vars);
  const { data } = cols;
  let count = 0;
  for (const seg of cols.segs) {
    const { n, keys, at, vals } = seg;
    let timed = false;
    for (let j = 0; j < keys.length; j++) {
      const a = at[j]!;
      const col = vals[j];
      switch (codes.get(keys[j]!)) {
        case SKIP: {
          if (seg.timed) {
            // the reader's instants of canonical times (parseInstant's)
            for (let i = seg.timeAt; i < seg.timeAt + n; i++) if (!(data[i]! >= T_MIN && data[i]! <= T_MAX)) return undefined;
            timed = true;
            break;
          }
          if (!col) return undefined;
          for (let i = 0; i < n; i++) {
            const time = col[i];
            const t = typeof time === 'string' ? parseInstant(time) : NaN;
            if (typeof t !== 'number' || !(t >= T_MIN && t <= T_MAX)) return undefined;
            data[seg.timeAt + i] = t;
          }
          timed = true;
          break;
        }
        case DOUBLE: if (a < 0) return undefined; break;
        case INT:
          if (a < 0) return undefined;
          for (let i = a; i < a + n; i++) {
            const v = data[i]!;
            if (!(Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX)) return undefined;
          }
          break;
        case LONG:
          if (a < 0) return undefined;
          for (let i = a; i < a + n; i++) if (!Number.isSafeInteger(data[i])) return undefined;
          break;
        case QC:
          if (a < 0) return undefined;
          for (let i = a; i < a + n; i++) if (!isQualityCode(data[i])) return undefined;
          break;
        case BOOLEAN:
          if (!col) return undefined;
          for (let i = 0; i < n; i++) if (typeof col[i] !== 'boolean') return undefined;
          break;
        case STRING: {
          if (!col) return undefined;
          const max = lengths.get(keys[j]!)!;
          for (let i = 0; i < n; i++) {
            const v = col[i];
            if (typeof v !== 'string' || v.length > max) return undefined;
          }
          break;
        }
        default: return undefined;
      }
    }
    if (!timed) return undefined;
    count += n * (keys.length - 1);
  }
  return { cols, count };
}

/** The checked records of columns, as validateRecords gives them (`_time` undefined in its place). */
export function columnRecords({ cols }: CheckedColumns): WriteRecord[] {
  const out: WriteRecord[] = [];
  const { data } = cols;
  for (const seg of cols.segs) {
    const { n, keys, at, timeAt } = seg;
    const tj = keys.indexOf('_time');
    // a timed `_time` is canonical and in range: its string is iso(t) (the body's bytes are released)
    const vals = keys.map((k, j) => (at[j]! >= 0 ? undefined : k === '_time' && seg.timed
      ? Array.from(data.subarray(timeAt, timeAt + n), (t) => iso(t)) : columnValues(cols, seg, j)));
    for (let i = 0; i < n; i++) {
      const values: Record<string, unknown> = {};
      for (let j = 0; j < keys.length; j++) values[keys[j]!] = j === tj ? undefined : at[j]! >= 0 ? data[at[j]! + i] : vals[j]![i];
      out.push(new CheckedRecord(data[timeAt + i]!, values, vals[tj]![i] as string, keys.length - 1));
    }
  }
  return out;
}

/** Writes whose records are checked columns: the writer thread's wire (worker-wire.ts) posts those as they are. */
const columnWrites = new WeakMap<SeriesWrite, CheckedColumns>();

/** A series write of checked columns; its `records` are made only if a store reads them (the inline one does). */
export function columnWrite(key: SeriesKey, shape: SeriesShape, checked: CheckedColumns): SeriesWrite {
  let records: WriteRecord[] | undefined;
  checked.cols.release();
  const w = { key, shape, get records() { return records ??= columnRecords(checked); } };
  columnWrites.set(w, checked);
  return w;
}

/** The checked columns of a write made by columnWrite, or undefined. */
export const writeColumns = (w: SeriesWrite): CheckedColumns | undefined => columnWrites.get(w);

/** The records of a write, counted without making them. */
export const writeLength = (w: SeriesWrite): number => columnWrites.get(w)?.cols.length ?? w.records.length;

/** The values a write stores (quality codes included), counted without making its records. */
export const writeValueCount = (w: SeriesWrite): number => columnWrites.get(w)?.count ?? valueCount(w.records);

/** The values (quality codes included) of checked records, counted while they were checked. */
export function valueCount(records: readonly WriteRecord[]): number {
  let n = 0;
  for (const r of records) {
    if (r instanceof CheckedRecord) n += r.count;
    else for (const k in r.values) if (k !== '_time' && r.values[k] !== undefined) n++;
  }
  return n;
}

/** Picks `_time` and the selected variables (with their quality codes) from stored JSON. */
/**
 * One record's text keeping only `_time` and the selected variables with their quality codes, in select order.
 * Built as text, as recordJson() is: an object would put integer-like keys (a variable named "1") before `_time`.
 */
function project(json: string, select: readonly string[]): string {
  const all = JSON.parse(json) as Record<string, unknown>;
  const time = all['_time'];
  let out = time === undefined ? '{' : `{"_time":${JSON.stringify(time)}`;
  const seen = new Set<string>(['_time']);
  const put = (key: string): void => {
    if (seen.has(key) || !Object.hasOwn(all, key)) return;
    seen.add(key);
    out += `${out.length > 1 ? ',' : ''}${quoted(key)}:${JSON.stringify(all[key])}`;
  };
  for (const name of select) {
    put(name);
    put(`${name}_qc`);
  }
  return `${out}}`;
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
