/**
 * Ant-style path patterns (Industrial IoT Gateway docs "URL Patterns"; Spring AntPathMatcher): `?` one character, `*` zero or more
 * characters inside one segment, `**` zero or more whole segments. Segments are split on every `/` and empty
 * segments are kept, so `/*\/endpoint` matches `//endpoint` but not `/api//endpoint` (seed table).
 * A pattern or path without a leading `/` is read as if it had one (request paths always do).
 * compareSpecificity orders patterns most specific first: exact, then `?`, then `*`, then `**`; longer wins ties.
 */

type Segment = { kind: 'any-dirs' } | { kind: 'literal'; text: string } | { kind: 'glob'; re: RegExp };

export interface AntPattern {
  source: string;
  segments: Segment[];
  doubleWildcards: number;
  singleWildcards: number;
  questionMarks: number;
}

const absolute = (p: string): string => (p.startsWith('/') ? p : `/${p}`);
const escapeRe = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');

export function compileAnt(source: string): AntPattern {
  const segments: Segment[] = absolute(source).split('/').map((seg): Segment => {
    if (seg === '**') return { kind: 'any-dirs' };
    if (!/[*?]/.test(seg)) return { kind: 'literal', text: seg };
    const body = seg.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : escapeRe(c))).join('');
    return { kind: 'glob', re: new RegExp(`^${body}$`, 's') };
  });
  const count = (re: RegExp) => (source.match(re) ?? []).length;
  return {
    source,
    segments,
    doubleWildcards: segments.filter((s) => s.kind === 'any-dirs').length,
    singleWildcards: count(/\*/g) - 2 * segments.filter((s) => s.kind === 'any-dirs').length,
    questionMarks: count(/\?/g),
  };
}

function segmentMatches(seg: Segment, text: string): boolean {
  return seg.kind === 'literal' ? seg.text === text : seg.kind === 'glob' ? seg.re.test(text) : true;
}

/** True when the whole path matches the pattern. Runs in O(pattern segments × path segments). */
export function antMatch(pattern: AntPattern | string, path: string): boolean {
  const p = typeof pattern === 'string' ? compileAnt(pattern) : pattern;
  const segs = absolute(path).split('/');
  const P = p.segments.length;
  const S = segs.length;
  // reach[j] = pattern prefix of length i matches path prefix of length j
  let reach = new Array<boolean>(S + 1).fill(false);
  reach[0] = true;
  for (let i = 0; i < P; i++) {
    const seg = p.segments[i]!;
    const next = new Array<boolean>(S + 1).fill(false);
    if (seg.kind === 'any-dirs') {
      let any = false;
      for (let j = 0; j <= S; j++) {
        any = any || reach[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 0; j < S; j++) if (reach[j] && segmentMatches(seg, segs[j]!)) next[j + 1] = true;
    }
    reach = next;
  }
  return reach[S]!;
}

/** Negative when a is more specific than b (sorts most specific first). */
export function compareSpecificity(a: AntPattern, b: AntPattern): number {
  return (a.doubleWildcards - b.doubleWildcards)
    || (a.singleWildcards - b.singleWildcards)
    || (a.questionMarks - b.questionMarks)
    || (b.source.length - a.source.length)
    || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/** The most specific of the patterns that match the path, or undefined. */
export function bestMatch<T extends { pattern: AntPattern }>(candidates: readonly T[], path: string): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    if (!antMatch(c.pattern, path)) continue;
    if (!best || compareSpecificity(c.pattern, best.pattern) < 0) best = c;
  }
  return best;
}
