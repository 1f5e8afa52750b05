/**
 * The rows of an asset entity set from the port's asset values: the row object (the $select and $expand path),
 * and for a page sent with every property and no $expand a text row, written from a per-set template compiled
 * once (the JSON member names in declaration order and where each value comes from) — the same text
 * JSON.stringify writes of the row object (test/odata/text-rows.test.ts), without building that object.
 */
import type { EdmSet, PropSource } from '../model/edm.js';
import type { AssetRow } from '../ports.js';
import type { Row } from './order.js';
import { ASCII, TEXT } from './raw-rows.js';

function typed(text: string | null | undefined, dataType: string): unknown {
  if (text === null || text === undefined) return null;
  switch (dataType) {
    case 'BOOLEAN': return text === 'true';
    case 'INT': case 'LONG': case 'DOUBLE': {
      const n = Number(text);
      return Number.isFinite(n) ? n : null;
    }
    default: return text;
  }
}

function valueOf(s: PropSource, a: AssetRow): unknown {
  return s.kind === 'field' ? (a as unknown as Record<string, unknown>)[s.field] ?? null
    : s.kind === 'typeVariable' ? typed(a.variables[s.variable], s.dataType)
      : s.kind === 'staticVariable' ? typed(a.aspects[s.aspect]?.[s.variable], s.dataType) : null;
}

export function assetRow(set: EdmSet, a: AssetRow): Row {
  const row: Row = {};
  for (const p of set.properties) row[p.name] = valueOf(p.source, a);
  return row;
}

/** A set's template: `{"name":` / `,"name":` of each property, beside its source. */
type Template = { member: string; source: PropSource }[];
const templates = new WeakMap<EdmSet, Template>();

const json = (v: unknown): string => (v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v));
/** Any character outside ASCII (JSON.stringify escapes control characters and lone surrogates, not the others). */
const NON_ASCII = /[^\x00-\x7f]/;

/** The text row of an asset: its JSON text, marked ASCII when it is (sent as bytes, raw-rows.ts pageBytes). */
export function assetTextRow(set: EdmSet, a: AssetRow): Row {
  let t = templates.get(set);
  if (!t) {
    t = set.properties.map((p, i) => ({ member: `${i === 0 ? '{' : ','}${JSON.stringify(p.name)}:`, source: p.source }));
    templates.set(set, t);
  }
  let text = '';
  for (const m of t) text += m.member + json(valueOf(m.source, a));
  text += '}';
  return NON_ASCII.test(text) ? { [TEXT]: text } : { [TEXT]: text, [ASCII]: true };
}
