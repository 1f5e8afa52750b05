/**
 * Time series rows written from the stored record text instead of parsed and re-serialized objects: the REST
 * read hands out that text as it is, and an OData page of the same 2000 records should cost about as much
 * (issue 14's goal of at most 1.5× the REST read). A raw row keeps `assetId` and `timestamp` as members (the
 * merge and the cursor read them) and the record text under the RAW symbol, which JSON.stringify never sees;
 * pageJson writes the page: a run of raw rows of one asset with every key present is one join of the record
 * texts and one replace of their `{"_time":` head by `{"assetId":…,"timestamp":`. A page known to be ASCII
 * (pageBytes) is written straight into a buffer, row by row, instead of joined into one string and encoded.
 *
 * Invariant: a text is used only when it provably holds exactly members of the set's series properties (names
 * equal to the stored keys), each at most once, with scalar values, no backslash anywhere (so every `"` is
 * structural and `{"_time":` occurs once, at the start) and only printable ASCII (so a page of raw rows is sent
 * as bytes without a scan of its text for other characters). The proof is a match of an exact-order pattern:
 * `{"_time":"YYYY-MM-DDTHH:mm:ss.sssZ"` (digits where the form has letters: a third cheaper to match than any 24
 * characters) then the keys of one order, each `,"key":` with a string of printable ASCII without `"` or `\`,
 * or a scalar of printable ASCII without `" , \ { } [ ]`, then `}`. Records of a series almost always share one
 * key order, so the pattern of the last order is tried first; a new order is found from the text (declared keys by position) and
 * its pattern compiled once per set of keys. Missing keys are written as null; anything else takes the
 * parsing path.
 */
import type { Row } from './order.js';
import type { WrittenRows } from './series-page.js';
import { byteRowsPage, isAscii } from './row-writer.js';

/** The record text of a raw row. */
export const RAW = Symbol('odata.rawRow');
/** The whole JSON text of a text row (an aggregate row, aggregate-rows.ts). */
export const TEXT = Symbol('odata.textRow');
/** True on a text row whose TEXT is known to hold only ASCII characters (its writer checked its pieces). */
export const ASCII = Symbol('odata.asciiText');
/** `,"key":null` for each declared key the record lacks ('' when it has all). */
const NULLS = Symbol('odata.rawNulls');

type RawRow = Row & { [RAW]?: string; [NULLS]?: string; [TEXT]?: string; [ASCII]?: boolean };

interface Order { re: RegExp; nulls: string }

/** How one set's records are turned into rows; `keys` are the series keys in declaration order. */
export interface RawShape {
  keys: readonly string[];
  /** `"key":` of each key, searched for in the text. */
  needles: readonly string[];
  /** Exact-order patterns by the order's keys, and the one that matched last. */
  orders: Map<string, Order>;
  last: Order | undefined;
}

/** Most key orders remembered per shape, and shapes remembered (a contract's sets use few of each). */
const MAX_ORDERS = 32;
const MAX_SHAPES = 256;
const shapes = new Map<string, RawShape>();

/** Printable ASCII (U+0020 to U+007E) but `"` and `\`; a scalar has no space and none of `, { } [ ]` either. */
export const CHAR = '[ !#-\\[\\]-~]';
const STRING = `"${CHAR}*"`;
/** The 24 characters of toISOString() for years 0000 to 9999 (what the stored text holds). */
export const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
export const SCALAR = '[!#-+\\--Z^-z|~]+';
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The shape of a set whose series keys are `keys`, or undefined when a key could not appear unescaped in JSON
 * text (then every record takes the parsing path). Shapes are shared across requests, so their patterns are too.
 */
export function rawShape(keys: readonly string[]): RawShape | undefined {
  if (keys.some((k) => !/^[ !#-[\]-~]*$/.test(k) || k === '_time')) return undefined;
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  if (!shape) {
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shape = { keys, needles: keys.map((k) => `"${k}":`), orders: new Map(), last: undefined };
    shapes.set(id, shape);
  }
  return shape;
}

/** The exact-order pattern of the declared keys present in `text`, by their position; undefined when none fits. */
function orderOf(shape: RawShape, text: string): Order | undefined {
  if (!text.startsWith('{"_time":"') || text.includes('\\')) return undefined;
  const at: [number, number][] = [];
  for (let i = 0; i < shape.keys.length; i++) {
    const p = text.indexOf(`,${shape.needles[i]!}`, 34);
    if (p !== -1) at.push([p, i]);
  }
  at.sort((a, b) => a[0] - b[0]);
  const id = at.map(([, i]) => i).join(',');
  let order = shape.orders.get(id);
  if (!order) {
    const present = new Set(at.map(([, i]) => i));
    const members = at.map(([, i]) => `,"${escapeRe(shape.keys[i]!)}":(?:${STRING}|${SCALAR})`).join('');
    order = {
      re: new RegExp(`^\\{"_time":"${TIME}"${members}\\}$`),
      nulls: shape.keys.map((k, i) => (present.has(i) ? '' : `,"${k}":null`)).join(''),
    };
    if (shape.orders.size < MAX_ORDERS) shape.orders.set(id, order);
  }
  return order.re.test(text) ? order : undefined;
}

/**
 * The row of a record text `{"_time":"<24-char ISO>",…}` of `assetId`, or undefined when the text does not
 * qualify (the caller parses it then).
 */
export function rawRow(shape: RawShape, assetId: string, text: string): Row | undefined {
  let order = shape.last;
  if (!order || !order.re.test(text)) {
    order = orderOf(shape, text);
    if (!order) return undefined;
    shape.last = order;
  }
  return { assetId, timestamp: text.slice(10, 34), [RAW]: text, [NULLS]: order.nulls } as RawRow;
}

/** `{"assetId":…,"timestamp":` of an asset. */
export const head = (assetId: string) => `{"assetId":${JSON.stringify(assetId)},"timestamp":`;

/** head() of an asset as UTF-8 bytes, kept for the last assets read (all dropped when full); callers never write to it. */
const heads = new Map<string, Buffer>();
const MAX_HEADS = 1024;

export function headBytes(assetId: string): Buffer {
  let h = heads.get(assetId);
  if (!h) {
    h = Buffer.from(head(assetId));
    if (heads.size >= MAX_HEADS) heads.clear();
    heads.set(assetId, h);
  }
  return h;
}

/** The JSON text of one raw row; `heads` caches head() per asset across the rows of a page. */
export function rawRowText(row: Row, heads?: Map<unknown, string>): string {
  const r = row as RawRow;
  const text = r[RAW]!;
  const nulls = r[NULLS] ?? '';
  let h = heads?.get(r['assetId']);
  if (h === undefined) {
    h = head(r['assetId'] as string);
    heads?.set(r['assetId'], h);
  }
  return h + (nulls === '' ? text.slice(9) : `${text.slice(9, -1)}${nulls}}`);
}

/** Whether a text has only ASCII characters (its UTF-8 length equals its length). */

/**
 * Writes `s`, after a `,` when `comma`: the separator is not concatenated onto the row text, since making a new
 * string of each row and writing that cost about 40 % of pageBytes' time for 2000 aggregate rows.
 */
type Put = (s: string, comma?: boolean) => void;

/**
 * Writes the JSON text of rows, raw, text or neither, with `put`: a raw run of one asset with every key present
 * is joined as it is stored. Returns whether the text is known to be ASCII: raw rows are by their proof and text
 * rows marked ASCII by their writer, so only the asset heads are checked when every row is one of those;
 * otherwise undefined (not known).
 */
function writeRows(rows: RawRow[], put: Put): boolean | undefined {
  const heads = new Map<unknown, string>();
  let known = true;
  put('[');
  for (let i = 0; i < rows.length;) {
    const r = rows[i]!;
    const comma = i !== 0;
    if (r[TEXT] !== undefined) {
      put(r[TEXT], comma);
      if (r[ASCII] !== true) known = false;
      i++;
      continue;
    }
    if (r[RAW] === undefined) {
      put(JSON.stringify(r), comma);
      known = false;
      i++;
      continue;
    }
    const assetId = r['assetId'];
    let j = i;
    while (j < rows.length && rows[j]![RAW] !== undefined && rows[j]![NULLS] === '' && rows[j]!['assetId'] === assetId) j++;
    if (j - i < 2) {
      put(rawRowText(r, heads), comma);
      i++;
      continue;
    }
    const texts: string[] = new Array(j - i);
    for (let k = i; k < j; k++) texts[k - i] = rows[k]![RAW]!;
    const h = head(assetId as string);
    heads.set(assetId, h);
    // `$` is special in a replacement string; `$$` writes one
    put(texts.join(',').replaceAll('{"_time":', h.replaceAll('$', '$$$$')), comma);
    i = j;
  }
  put(']');
  if (!known) return undefined;
  for (const h of heads.values()) if (!isAscii(h)) return false;
  return true;
}

/**
 * Whether every row is known to be ASCII before it is written (raw rows by their proof, text rows marked ASCII),
 * and an upper bound of the rows' text length when so (undefined when not).
 */
function knownLength(rows: RawRow[]): number | undefined {
  let n = 2 + rows.length;
  for (const r of rows) {
    const text = r[TEXT] ?? r[RAW];
    if (text === undefined || (r[TEXT] !== undefined && r[ASCII] !== true)) return undefined;
    // a raw row gets its head instead of `{"_time":` and its missing keys as null
    n += text.length + (r[RAW] !== undefined ? 40 + String(r['assetId']).length * 6 + (r[NULLS]?.length ?? 0) : 0);
  }
  return n;
}

/** The body split around its `value`: the text before it and after it (JSON.stringify of every other member). */
function envelope(body: Record<string, unknown>): [string, string] {
  const marker = '\u0000rows\u0000';
  // the marker is a string member; JSON.stringify escapes U+0000, so its text occurs once and only there
  const text = JSON.stringify({ ...body, value: marker });
  const at = text.indexOf('"\\u0000rows\\u0000"');
  return [text.slice(0, at), text.slice(at + '"\\u0000rows\\u0000"'.length)];
}

const isWritten = (value: unknown): value is WrittenRows => value !== null && typeof value === 'object' && (value as WrittenRows).buf instanceof Buffer;

/** The page around rows written as bytes: the envelope goes into the room left before and after them when it fits. */
function writtenPage(body: Record<string, unknown>, rows: WrittenRows): Buffer {
  if (rows.parts) return Buffer.concat(pageParts(body)!);
  const [before, after] = envelope(body);
  const b = Buffer.byteLength(before);
  const a = Buffer.byteLength(after);
  if (b > rows.start || rows.end + a > rows.buf.length) {
    return Buffer.concat([Buffer.from(before), rows.buf.subarray(rows.start, rows.end), Buffer.from(after)]);
  }
  rows.buf.write(before, rows.start - b);
  rows.buf.write(after, rows.end);
  return rows.buf.subarray(rows.start - b, rows.end + a);
}

const hasRawRows = (value: unknown): value is RawRow[] =>
  Array.isArray(value) && value.some((r) => (r as RawRow)?.[RAW] !== undefined || (r as RawRow)?.[TEXT] !== undefined);

/** JSON text of a page body whose `value` may hold raw rows; the plain JSON.stringify when it holds none. */
export function pageJson(body: Record<string, unknown>): string {
  return pageText(body).text;
}

/**
 * pageJson's text and whether it is known to hold only ASCII characters (true: a page of raw rows and ASCII text
 * rows whose envelope and asset heads are ASCII; undefined: not known, the text must be checked).
 */
export function pageText(body: Record<string, unknown>): { text: string; ascii: boolean | undefined } {
  const value = body['value'];
  if (isWritten(value)) {
    const [before, after] = envelope(body);
    const rows = value.parts ? Buffer.concat(value.parts).toString('utf8') : value.buf.toString('utf8', value.start, value.end);
    return { text: before + rows + after, ascii: undefined };
  }
  if (!hasRawRows(value)) return { text: JSON.stringify(body), ascii: undefined };
  const [before, after] = envelope(body);
  const parts: string[] = [before];
  const rows = writeRows(value, (s, comma) => {
    if (comma) parts.push(',');
    parts.push(s);
  });
  parts.push(after);
  const ascii = rows === true ? isAscii(before) && isAscii(after) : rows;
  return { text: parts.join(''), ascii };
}

type Latin1 = Buffer & { latin1Write?: (s: string, offset: number, length: number) => number };

/** Text known to be ASCII written into one buffer as it is made (no page string, no encoding of one). */
class AsciiWriter {
  private buf: Latin1;
  private n = 0;
  constructor(size: number) { this.buf = Buffer.allocUnsafe(size); }
  readonly put = (s: string, comma?: boolean): void => {
    const need = this.n + s.length + 1;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, need));
      this.buf.copy(grown, 0, 0, this.n);
      this.buf = grown;
    }
    if (comma) this.buf[this.n++] = 0x2c;
    // latin1Write (the primitive of buf.write(s, offset, 'latin1')) writes a cons string without flattening it first
    this.n += this.buf.latin1Write ? this.buf.latin1Write(s, this.n, s.length) : this.buf.write(s, this.n, 'latin1');
  };
  bytes(): Buffer { return this.buf.subarray(0, this.n); }
}

/**
 * The UTF-8 bytes of a page whose rows were written as parts (WrittenRows.parts: views of kept rows), as the
 * buffers to send one after the other — the envelope before and after them, no copy of the rows; undefined for
 * any other page.
 */
export function pageParts(body: Record<string, unknown>): Buffer[] | undefined {
  const value = body['value'];
  if (!isWritten(value) || !value.parts) return undefined;
  const [before, after] = envelope(body);
  const rows = value.parts;
  // the rows' `[` and `]` (one-byte parts) go into the envelope's buffers: one write per part fewer each, one
  // buffer for both (the socket's writev takes every part as it is; fewer parts is less work per page)
  const n = rows.length;
  const open = n >= 2 && rows[0]!.length === 1 && rows[0]![0] === 0x5b ? 1 : 0;
  const close = n - open >= 1 && rows[n - 1]!.length === 1 && rows[n - 1]![0] === 0x5d ? 1 : 0;
  const b = Buffer.byteLength(before);
  const env = Buffer.from(`${before}${open ? '[' : ''}${close ? ']' : ''}${after}`);
  const out: Buffer[] = [env.subarray(0, b + open)];
  for (let i = open; i < n - close; i++) out.push(rows[i]!);
  out.push(env.subarray(b + open));
  return out;
}

/**
 * The UTF-8 bytes of pageJson's text when the page is known to be ASCII (pageText's `ascii` true), written
 * straight into a buffer (a 2000-row page is 0.25–0.6 MB: about half the time of joining its text and copying
 * that into bytes); undefined for any other page (send pageText's text then).
 */
export function pageBytes(body: Record<string, unknown>): Buffer | undefined {
  const value = body['value'];
  if (isWritten(value)) return writtenPage(body, value);
  // a page of byte rows (aggregate rows written as bytes while read, row-writer.ts) is copied from their buffers
  const copied = byteRowsPage(value, () => envelope(body));
  if (copied) return copied;
  if (!hasRawRows(value)) return undefined;
  const length = knownLength(value);
  if (length === undefined) return undefined;
  const [before, after] = envelope(body);
  if (!isAscii(before) || !isAscii(after)) return undefined;
  const w = new AsciiWriter(before.length + length + after.length);
  w.put(before);
  if (writeRows(value, w.put) !== true) return undefined;
  w.put(after);
  return w.bytes();
}
