/**
 * Time series rows written from the stored record text instead of parsed and re-serialized objects: the REST
 * read hands out that text as it is, and an OData page of the same 2000 records should cost about as much
 * (issue 14's goal of at most 1.5× the REST read). A raw row keeps `assetId` and `timestamp` as members (the
 * merge and the cursor read them) and its JSON text under the RAW symbol, which JSON.stringify never sees;
 * pageJson splices those texts into the page.
 *
 * The text of a record is used only when it provably holds exactly the set's series properties (names equal to
 * the stored keys): no backslash anywhere (so every `"` is structural), each declared key present as `"key":`
 * or missing (then written as null), and as many `":` as declared keys present plus `_time`, so no stale key of
 * a variable no longer declared can slip through. Anything else takes the parsing path.
 */
import type { Row } from './order.js';

export const RAW = Symbol('odata.rawRow');

type RawRow = Row & { [RAW]?: string };

/** How one set's records are turned into rows; `keys` are the series keys in declaration order. */
export interface RawShape {
  keys: readonly string[];
  /** `"key":` of each key, searched for in the text. */
  needles: readonly string[];
}

export function rawShape(keys: readonly string[]): RawShape {
  return { keys, needles: keys.map((k) => `"${k}":`) };
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * The row of a record text `{"_time":"<24-char ISO>",…}` of `assetId` (`assetIdJson` is its JSON string), or
 * undefined when the text does not qualify (the caller parses it then).
 */
export function rawRow(shape: RawShape, assetId: string, assetIdJson: string, text: string): Row | undefined {
  if (!text.startsWith('{"_time":"') || text.charCodeAt(34) !== 34 || text.includes('\\')) return undefined;
  let present = 0;
  let nulls = '';
  for (let i = 0; i < shape.keys.length; i++) {
    if (text.includes(shape.needles[i]!)) present++;
    else nulls += `,${shape.needles[i]!}null`;
  }
  if (occurrences(text, '":') !== present + 1) return undefined;
  const row: RawRow = { assetId, timestamp: text.slice(10, 34) };
  // {"_time":"T"…} → {"assetId":"A","timestamp":"T"…[,"missing":null]}
  row[RAW] = `{"assetId":${assetIdJson},"timestamp":${text.slice(9, -1)}${nulls}}`;
  return row;
}

/** JSON text of a page body whose `value` may hold raw rows; the plain JSON.stringify when it holds none. */
export function pageJson(body: Record<string, unknown>): string {
  const value = body['value'];
  if (!Array.isArray(value) || !value.some((r) => (r as RawRow)?.[RAW] !== undefined)) return JSON.stringify(body);
  const parts = (value as RawRow[]).map((r) => r[RAW] ?? JSON.stringify(r));
  const marker = '\u0000rows\u0000';
  // the marker is a string member; JSON.stringify escapes U+0000, so its text occurs once and only there
  return JSON.stringify({ ...body, value: marker }).replace('"\\u0000rows\\u0000"', () => `[${parts.join(',')}]`);
}
