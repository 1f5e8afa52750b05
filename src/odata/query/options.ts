/**
 * The system query options of one request (OASIS OData v4 URL Conventions §5): read from the raw query string
 * (or a `POST …/$query` body), each given at most once, each bounded in length before it is parsed. Custom
 * options (no `$`) are ignored as the specification allows; unknown or unsupported `$` options are a 400 that
 * says what is supported. A $filter text parsed once is kept (frozen) per limits, so a client repeating a query
 * (paging through it, polling a dashboard) has it parsed once.
 */
import { ODataErrors } from '../errors.js';
import type { ExpandItem, Expr, OrderItem, SelectItem } from './ast.js';
import { kept } from './kept.js';
import { type ParseLimits, parseExpand, parseFilter, parseOrderby, parseSelect } from './parser.js';

export interface QueryOptions {
  filter?: Expr;
  select?: SelectItem[];
  orderby?: OrderItem[];
  expand?: ExpandItem[];
  top?: number;
  skip?: number;
  count: boolean;
  format?: 'json' | 'xml';
  /** Opaque continuation of server-driven paging. */
  skiptoken?: string;
}

const SUPPORTED = ['$filter', '$select', '$orderby', '$expand', '$top', '$skip', '$count', '$format', '$skiptoken'];
const UNSUPPORTED: Record<string, string> = {
  $search: 'Free-text $search',
  $apply: 'Data aggregation ($apply)',
  $compute: 'Computed properties ($compute)',
  $levels: '$levels',
  $index: '$index',
  $schemaversion: '$schemaversion',
  $deltatoken: 'Delta links ($deltatoken)',
  $inlinecount: 'The OData v3 option $inlinecount',
  $id: 'Entity references ($id)',
};

/** Filters kept per limits object, by their text; all dropped when full. */
const MAX_FILTERS = 256;
const filters = new WeakMap<ParseLimits, Map<string, Expr>>();

/** parseFilter of the text, kept per limits (kept.ts). */
function filterOf(text: string, limits: ParseLimits): Expr {
  let cache = filters.get(limits);
  if (!cache) filters.set(limits, cache = new Map());
  return kept(cache, text, (t) => parseFilter(t, limits), MAX_FILTERS);
}

function wholeNumber(name: string, raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw ODataErrors.badQuery({ target: name, rule: 'must be a whole number from 0 to 999999999' });
  return Number(raw);
}

/** Splits a query string into decoded pairs; `+` is a space (form encoding, as browsers and Mendix send it). */
export function queryPairs(raw: string, maxLength: number): [string, string][] {
  if (raw.length > maxLength) {
    throw ODataErrors.tooLong({ target: 'query string', limit: `at most ${maxLength} characters (it has ${raw.length})` });
  }
  const out: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw ODataErrors.badQuery({ target: 'query string', rule: `"${s.slice(0, 40)}" is not valid percent-encoding` });
      }
    };
    out.push(eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))]);
  }
  return out;
}

export function parseOptions(pairs: [string, string][], limits: ParseLimits): QueryOptions {
  const seen = new Set<string>();
  const o: QueryOptions = { count: false };
  for (const [rawName, value] of pairs) {
    // OData 4.01 allows the options without $ and in any case; 4.0 clients send them as written here.
    const name = rawName.startsWith('$') ? rawName.toLowerCase() : rawName;
    if (!name.startsWith('$')) continue;
    if (UNSUPPORTED[name]) {
      throw ODataErrors.unsupported({ target: name, what: UNSUPPORTED[name]!, supported: `Supported options: ${SUPPORTED.join(', ')}.` });
    }
    if (!SUPPORTED.includes(name)) {
      throw ODataErrors.badQuery({ target: name, rule: `is not a system query option of OData v4; supported: ${SUPPORTED.join(', ')}` });
    }
    if (seen.has(name)) throw ODataErrors.badQuery({ target: name, rule: 'is given more than once' });
    seen.add(name);
    switch (name) {
      case '$filter': o.filter = filterOf(value, limits); break;
      case '$select': o.select = parseSelect(value, limits); break;
      case '$orderby': o.orderby = parseOrderby(value, limits); break;
      case '$expand': o.expand = parseExpand(value, limits); break;
      case '$top': o.top = wholeNumber(name, value); break;
      case '$skip': o.skip = wholeNumber(name, value); break;
      case '$count':
        if (value !== 'true' && value !== 'false') throw ODataErrors.badQuery({ target: name, rule: 'must be true or false' });
        o.count = value === 'true';
        break;
      case '$format': {
        const f = value.toLowerCase().split(';')[0]!.trim();
        if (f === 'json' || f === 'application/json') o.format = 'json';
        else if (f === 'xml' || f === 'application/xml') o.format = 'xml';
        else throw ODataErrors.badQuery({ target: name, rule: 'must be json (or xml for $metadata)' });
        break;
      }
      case '$skiptoken': o.skiptoken = value; break;
    }
  }
  return o;
}
