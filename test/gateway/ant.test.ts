/** Ant-style pattern matching: every example of the Industrial IoT Gateway docs pattern table, Spring's rules, properties. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { antMatch, bestMatch, compareSpecificity, compileAnt } from '../../src/gateway/ant.js';

// Industrial IoT Gateway docs "Path Pattern Matching and Wildcard Support": pattern, matching paths, non-matching paths.
// Two rows write the path without its leading "/" ("endpoint"); paths are read as starting with "/".
const SEED_TABLE: [string, string[], string[]][] = [
  ['/?', ['/e', '/b'], ['/endpoint']],
  ['/en?po?nt', ['endpoint', 'enbpoent'], ['/endpoint/x', '/enpoint']],
  ['/?ndpoint', ['endpoint', 'andpoint'], ['/ndpoint', '/xxndpoint']],
  ['/*', ['', '/', '/endpoint', '/epoint'], ['/a/b']],
  ['/*/endpoint', ['/api/endpoint', '//endpoint'], ['/api//endpoint', '/api/andpont']],
  ['public/*.jsp', ['/public/index.jsp', 'public/a.jsp', '/public/.jsp'], ['/public/dir/a.jsp', '/public/a.jspx', '/private/a.jsp']],
  ['/**', ['', '/', '/endpoint', '/public/endpoint', '///endpoint'], []],
  ['/**/endpoint', ['/endpoint', '//endpoint', '/public/endpoint', '/public/directory/in/path/endpoint'], ['/public/directory/noendpoint']],
  ['/**/endpoint/**', ['/endpoint', '/endpoint/directory', '/public/endpoint/directory/in/path'], ['/public/directory/noendpoint']],
  ['/*/end?oint/**', ['/directory/endpoint/directories/in/path', '//endpoint/'], ['/directories/in/path/andpoint/directories/in/path']],
];

describe('Ant patterns: Industrial IoT Gateway docs table', () => {
  for (const [pattern, yes, no] of SEED_TABLE) {
    for (const path of yes) it(`${pattern} matches "${path}"`, () => assert.equal(antMatch(pattern, path), true));
    for (const path of no) it(`${pattern} does not match "${path}"`, () => assert.equal(antMatch(pattern, path), false));
  }
});

describe('Ant patterns: Spring rules (Spring AntPathMatcher)', () => {
  const cases: [string, string, boolean][] = [
    ['/test/*', '/test/', true],
    ['/test*', '/test/', false],
    ['/x/x/**/bla', '/x/x/x/', false],
    ['/bla/**/**/bla', '/bla/bla/bla/bla/bla/bla', true],
    ['/bla/**/**/bla', '/bla/bla', true],
    ['/*.html', '/index.html', true],
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/B', false],
    ['/a/*', '/a/b/c', false],
    ['/a/**', '/a', true],
    ['/a/[x]', '/a/[x]', true],
    ['/a/.*', '/a/x', false],
  ];
  for (const [p, path, want] of cases) it(`${p} ${want ? 'matches' : 'does not match'} ${path}`, () => assert.equal(antMatch(p, path), want));
});

describe('Ant patterns: most specific wins', () => {
  it('orders exact before ? before * before **', () => {
    const patterns = ['/hotels/**', '/hotels/*', '/hotels/ne?', '/hotels/new'].map(compileAnt);
    const sorted = [...patterns].sort(compareSpecificity).map((p) => p.source);
    assert.deepEqual(sorted, ['/hotels/new', '/hotels/ne?', '/hotels/*', '/hotels/**']);
  });
  it('bestMatch picks the most specific matching pattern', () => {
    const cands = ['/**', '/hotels/*', '/hotels/new', '/hotels/ne?'].map((p) => ({ pattern: compileAnt(p) }));
    assert.equal(bestMatch(cands, '/hotels/new')?.pattern.source, '/hotels/new');
    assert.equal(bestMatch(cands, '/hotels/nex')?.pattern.source, '/hotels/ne?');
    assert.equal(bestMatch(cands, '/hotels/old')?.pattern.source, '/hotels/*');
    assert.equal(bestMatch(cands, '/other')?.pattern.source, '/**');
    assert.equal(bestMatch(cands.slice(1), '/other'), undefined);
  });
  it('a longer pattern wins a tie', () => {
    assert.ok(compareSpecificity(compileAnt('/a/*/c'), compileAnt('/a/*')) < 0);
  });
});

const segment = fc.stringMatching(/^[a-z0-9._~-]{0,6}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segs) => `/${segs.join('/')}`);

describe('Ant patterns: properties', () => {
  it('a pattern without wildcards matches exactly the identical path', () => {
    fc.assert(fc.property(path, path, (a, b) => antMatch(a, b) === (a === b)));
  });
  it('/** matches every path', () => {
    fc.assert(fc.property(path, (p) => antMatch('/**', p)));
  });
  it('replacing one segment by * or one character by ? keeps the match', () => {
    fc.assert(fc.property(path, fc.nat(), (p, n) => {
      const segs = p.split('/');
      const i = 1 + (n % (segs.length - 1));
      const star = [...segs];
      star[i] = '*';
      const q = [...segs];
      if (q[i]!.length > 0) q[i] = `?${q[i]!.slice(1)}`;
      return antMatch(star.join('/'), p) && antMatch(q.join('/'), p);
    }));
  });
  it('inserting /** anywhere keeps the match, and never loses one', () => {
    fc.assert(fc.property(path, fc.nat(), (p, n) => {
      const segs = p.split('/');
      const i = 1 + (n % segs.length);
      const withDirs = [...segs.slice(0, i), '**', ...segs.slice(i)].join('/');
      return antMatch(withDirs, p);
    }));
  });
  it('* never crosses a "/" (a path with more segments does not match)', () => {
    fc.assert(fc.property(path, segment, (p, extra) => !antMatch(p.replace(/[^/]+$/, '*'), `${p}/${extra}`) || p.endsWith('/')));
  });
  it('specificity is a total order consistent with sorting', () => {
    const pat = fc.array(fc.constantFrom('a', 'b', '*', '?', '**', 'a?', 'b*'), { minLength: 1, maxLength: 4 }).map((s) => compileAnt(`/${s.join('/')}`));
    fc.assert(fc.property(pat, pat, (a, b) => Math.sign(compareSpecificity(a, b)) === -Math.sign(compareSpecificity(b, a))));
  });
});
