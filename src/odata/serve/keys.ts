/**
 * Entity keys and paging cursors: the key predicate of a row as a URL (`('…')` or `(assetId='…',timestamp='…')`),
 * the plan that finds the entity of a key, and the opaque `$skiptoken` (base64url JSON of the cursor, checked
 * field by field when it comes back).
 */
import { parseInstant } from '../../core/instant.js';
import { ODataErrors } from '../errors.js';
import type { EdmSet } from '../model/edm.js';
import { AGGREGATION_TYPES } from '../model/edm.js';
import { printLiteral } from '../query/print.js';
import type { Literal } from '../query/ast.js';
import type { Plan } from './plan.js';
import { ODATA_UNITS, T_MAX, UNIT_VALUES } from './plan.js';
import type { KeyValues } from './resource.js';
import type { Cursor, Row } from './rows.js';

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(token: string): Cursor {
  const fail = () => ODataErrors.badQuery({ target: '$skiptoken', rule: 'is not a continuation this service issued; follow @odata.nextLink as it is' });
  if (token.length > 2048 || !/^[A-Za-z0-9_-]*$/.test(token)) throw fail();
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw fail();
  const o = c as Record<string, unknown>;
  const n = o['n'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw fail();
  const out: Cursor = { n };
  if (o['t'] !== undefined) {
    if (typeof o['t'] !== 'number' || !Number.isInteger(o['t']) || typeof o['a'] !== 'string' || typeof (o['s'] ?? '') !== 'string') throw fail();
    out.t = o['t'];
    out.a = o['a'];
    out.s = (o['s'] as string | undefined) ?? '';
  }
  if (o['c'] !== undefined) {
    if (typeof o['c'] !== 'number' || !Number.isInteger(o['c']) || o['c'] < 0) throw fail();
    out.c = o['c'];
  }
  return out;
}

const str = (v: unknown): Literal => ({ kind: 'literal', type: 'string', value: String(v) });

/** `(…)` of a row's key. */
export function entityKeyText(set: EdmSet, row: Row): string {
  if (set.key.length === 1) return `(${encodeURIComponent(printLiteral(str(row[set.key[0]!])))})`;
  const parts = set.key.map((k) => {
    const v = row[k];
    return `${k}=${printLiteral(typeof v === 'number' ? { kind: 'literal', type: 'int', value: v } : str(v))}`;
  });
  return `(${encodeURIComponent(parts.join(','))})`;
}

function keyValues(set: EdmSet, key: KeyValues): Record<string, Literal> {
  if ('single' in key) {
    if (set.key.length !== 1) throw ODataErrors.badQuery({ target: 'key', rule: `${set.name} has the key (${set.key.join(', ')}); name each part: ${set.name}(${set.key.map((k) => `${k}=…`).join(',')})` });
    return { [set.key[0]!]: key.single };
  }
  const names = Object.keys(key.named);
  const missing = set.key.filter((k) => !names.includes(k));
  const extra = names.filter((k) => !set.key.includes(k));
  if (missing.length || extra.length) {
    throw ODataErrors.badQuery({ target: 'key', rule: `the key of ${set.name} is (${set.key.join(', ')})${extra.length ? `; ${extra.join(', ')} is not part of it` : ''}` });
  }
  return key.named;
}

function keyString(name: string, l: Literal): string {
  if (l.type !== 'string') throw ODataErrors.badQuery({ target: 'key', rule: `${name} is a string: quote it, ${name}='…'` });
  return l.value as string;
}

/** The plan that selects exactly the entity of a key (or nothing). */
export function keyPlan(set: EdmSet, key: KeyValues): Plan {
  const k = keyValues(set, key);
  if (set.kind === 'assets') return { kind: 'assets', conditions: [{ field: 'assetId', op: 'eq', value: keyString('assetId', k['assetId']!) }] };
  if (set.kind === 'objects') return { kind: 'objects', conditions: [{ field: 'path', op: 'eq', value: keyString('path', k['path']!) }] };
  const assetId = keyString('assetId', k['assetId']!);
  const t = parseInstant(keyString('timestamp', k['timestamp']!), 'lenient');
  if (typeof t === 'string') throw ODataErrors.badQuery({ target: 'key', rule: `timestamp ${t}` });
  const range = { after: Math.max(-1, t - 1), upTo: Math.min(T_MAX, t) };
  if (set.kind === 'timeseries') return { kind: 'timeseries', assetId, ...range, empty: false };
  const unitName = keyString('intervalUnit', k['intervalUnit']!);
  const unit = ODATA_UNITS[unitName];
  const value = k['intervalValue']!;
  const variableName = keyString('variableName', k['variableName']!);
  const aggregationType = keyString('aggregationType', k['aggregationType']!);
  if (value.type !== 'int') throw ODataErrors.badQuery({ target: 'key', rule: 'intervalValue is a whole number' });
  const rule = unit ? UNIT_VALUES[unit] : undefined;
  const n = value.value as number;
  const valid = rule !== undefined && n >= rule.min && n <= rule.max && (n - rule.min) % rule.step === 0
    && (AGGREGATION_TYPES as readonly string[]).includes(aggregationType) && set.aspect!.variables.some((v) => v.name === variableName);
  return {
    kind: 'aggregates', assetId, ...range, bounded: true, variableName, aggregationType, unitName, unit: unit ?? 'hour',
    value: n, count: null, empty: !valid,
  };
}
