/**
 * Resource paths below a service root (OASIS OData v4 URL Conventions §4): the service document, `$metadata`,
 * an entity set, `/$count`, an entity by key (`Set('a')`, `Set(k1='a',k2=1)`), a navigation from it (and its
 * `/$count`), the media resource of a media entity (`Set('a')/$value`), and `Set/$query` (POST). Key values are literals tokenized like filter literals.
 */
import { ODataErrors } from '../errors.js';
import type { Literal } from '../query/ast.js';
import { tokenize } from '../query/lexer.js';

export type Resource =
  | { kind: 'serviceDocument' }
  | { kind: 'metadata' }
  | { kind: 'collection'; set: string; count: boolean; query: boolean }
  | { kind: 'entity'; set: string; key: KeyValues }
  | { kind: 'media'; set: string; key: KeyValues }
  | { kind: 'navigation'; set: string; key: KeyValues; nav: string; count: boolean };

/** Key values: one unnamed value, or named ones. */
export type KeyValues = { single: Literal } | { named: Record<string, Literal> };

const bad = (rule: string) => ODataErrors.badQuery({ target: 'resource path', rule });

function literalOf(t: ReturnType<typeof tokenize>[number]): Literal {
  switch (t.kind) {
    case 'string': return { kind: 'literal', type: 'string', value: t.value };
    case 'number':
      return { kind: 'literal', type: /^-?\d+$/.test(t.text) ? 'int' : 'decimal', value: Number(t.text) };
    case 'dateTimeOffset': return { kind: 'literal', type: 'dateTimeOffset', value: t.value };
    case 'guid': return { kind: 'literal', type: 'guid', value: t.value };
    case 'ident':
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', type: 'boolean', value: t.text === 'true' };
      break;
    default: break;
  }
  throw bad(`"${t.text.slice(0, 40)}" is not a key value (strings are quoted: 'value')`);
}

export function parseKey(text: string): KeyValues {
  const tokens = tokenize('key', text, 64);
  if (tokens.length === 2) return { single: literalOf(tokens[0]!) };
  const named: Record<string, Literal> = {};
  let i = 0;
  for (;;) {
    const name = tokens[i];
    if (name?.kind !== 'ident' || tokens[i + 1]?.kind !== '=' || !tokens[i + 2]) throw bad(`the key (${text.slice(0, 80)}) must be a value or name=value pairs`);
    if (named[name.text] !== undefined) throw bad(`key property ${name.text} is given twice`);
    named[name.text] = literalOf(tokens[i + 2]!);
    i += 3;
    if (tokens[i]?.kind === 'end') return { named };
    if (tokens[i]?.kind !== ',') throw bad(`the key (${text.slice(0, 80)}) must be name=value pairs separated by commas`);
    i++;
  }
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw bad(`"${raw.slice(0, 40)}" is not valid percent-encoding`);
  }
}

/**
 * Splits a resource path at the slashes outside key predicates: a data lake object's key is its path, and the
 * gateway refuses %2F in URLs, so `Set('folder/sub/file.csv')/$value` carries its slashes as they are. Quotes
 * (`'` or `%27`, doubled inside a literal) are tracked so a parenthesis inside a quoted key does not count.
 */
function splitSegments(path: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < path.length; i++) {
    const quote = path[i] === "'" ? 1 : path.slice(i, i + 3).toLowerCase() === '%27' ? 3 : 0;
    if (quote) {
      if (depth > 0) quoted = !quoted;
      cur += path.slice(i, i + quote);
      i += quote - 1;
      continue;
    }
    const c = path[i]!;
    if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth = Math.max(0, depth - 1);
    else if (c === '/' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Parses the path after the service root (no leading slash). */
export function parseResource(path: string): Resource {
  const parts = splitSegments(path).filter((p, i, all) => p !== '' || i < all.length - 1).map(segment);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return { kind: 'serviceDocument' };
  if (parts.length > 4) throw bad('is longer than Set(key)/Navigation/$count');
  const first = parts[0]!;
  if (first === '$metadata') {
    if (parts.length > 1) throw bad('nothing may follow $metadata');
    return { kind: 'metadata' };
  }
  const m = /^([^(]+)(?:\((.*)\))?$/s.exec(first);
  if (!m) throw bad(`"${first.slice(0, 80)}" is not an entity set or Set(key)`);
  const set = m[1]!;
  if (m[2] === undefined) {
    if (parts.length === 1) return { kind: 'collection', set, count: false, query: false };
    if (parts.length === 2 && (parts[1] === '$count' || parts[1] === '$query')) {
      return { kind: 'collection', set, count: parts[1] === '$count', query: parts[1] === '$query' };
    }
    throw bad(`after the entity set ${set} only /$count or /$query (POST) may follow; address an entity by key: ${set}(…)`);
  }
  const key = parseKey(m[2]);
  if (parts.length === 1) return { kind: 'entity', set, key };
  const nav = parts[1]!;
  if (nav === '$value' && parts.length === 2) return { kind: 'media', set, key };
  if (nav.startsWith('$')) throw bad(`${nav} cannot follow an entity`);
  if (parts.length === 2) return { kind: 'navigation', set, key, nav, count: false };
  if (parts.length === 3 && parts[2] === '$count') return { kind: 'navigation', set, key, nav, count: true };
  throw bad('only /$count may follow a navigation property');
}
