/**
 * RFC 3986 checks on the request target and the path normalisation patterns are matched against
 * (Industrial IoT Gateway docs "RFC compliance"). Allowed: path = pchar and "/", query = pchar, "/" and "?",
 * pchar = unreserved / pct-encoded / sub-delims / ":" / "@". Normalisation decodes percent-encoded unreserved
 * characters (§6.2.2.2), collapses empty segments and removes dot segments (§5.2.4); encoded "/" and "\" are
 * refused, so the path the gateway matches is exactly the path it forwards.
 */
import { GatewayErrors } from './errors.js';

const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
const HEX = /^[0-9A-Fa-f]{2}$/;

const describe = (c: string): string =>
  c === ' ' ? 'space' : /[\x00-\x1f\x7f]/.test(c) ? `control character 0x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `"${c}"`;

// Fast path for the common case: only allowed characters, at most one "?" before any other, and well-formed escapes.
const VALID_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)*)?$/;

/** Throws 400 naming the first character of the target that RFC 3986 does not allow where it stands. */
export function checkTarget(target: string): void {
  if (VALID_TARGET.test(target)) return;
  if (!target.startsWith('/')) {
    if (target === '*') return;
    throw GatewayErrors.badTarget({ character: describe(target[0] ?? ''), position: 0, part: 'request target',
      rule: 'the request target must be a path starting with "/"' });
  }
  let inQuery = false;
  for (let i = 0; i < target.length; i++) {
    const c = target[i]!;
    if (c === '?' && !inQuery) { inQuery = true; continue; }
    if (c === '%') {
      if (!HEX.test(target.slice(i + 1, i + 3))) {
        throw GatewayErrors.badTarget({ character: '"%"', position: i, part: inQuery ? 'query' : 'path',
          rule: 'a "%" must be followed by two hexadecimal digits' });
      }
      i += 2;
      continue;
    }
    if (PCHAR.test(c) || c === '/' || (inQuery && c === '?')) continue;
    const hex = Buffer.from(c, 'utf8').toString('hex').toUpperCase().replace(/(..)/g, '%$1');
    throw GatewayErrors.badTarget({ character: describe(c), position: i, part: inQuery ? 'query' : 'path',
      rule: `RFC 3986 does not allow it there; percent-encode it as ${hex}` });
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Normalises an RFC 3986-valid path (no query). Throws 400 for encoded separators or a path above the root. */
export function normalizePath(path: string): string {
  if (!path.includes('%') && !path.includes('//') && !/\/\.\.?(\/|$)/.test(path)) return path;
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') { decoded += c; continue; }
    const hex = path.slice(i + 1, i + 3).toUpperCase();
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (hex === '2F' || hex === '5C' || hex === '00') {
      throw GatewayErrors.badPath({ path: path.slice(0, 200), rule: `the encoded character %${hex} is not allowed in a path` });
    }
    decoded += UNRESERVED.test(ch) ? ch : `%${hex}`;
    i += 2;
  }
  const out: string[] = [];
  for (const seg of decoded.split('/').slice(1)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw GatewayErrors.badPath({ path: path.slice(0, 200), rule: 'it climbs above the root with ".."' });
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const trailing = /\/\.{0,2}$/.test(decoded) && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

/** Splits a checked target into its normalised path and raw query ("" or "?..."). */
export function normalizeTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  return { path: normalizePath(rawPath), query: q < 0 ? '' : target.slice(q) };
}
