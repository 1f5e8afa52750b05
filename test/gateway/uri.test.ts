/** RFC 3986 request-target check, host schemes and path normalisation (Industrial IoT Gateway docs "RFC compliance", "URL Schemes"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../src/core/errors.js';
import { parseHost } from '../../src/gateway/host.js';
import { checkTarget, normalizePath } from '../../src/gateway/uri.js';

const refused = (target: string): string => {
  try {
    checkTarget(target);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 400);
    return err.message;
  }
  assert.fail(`${target} was accepted`);
};

describe('RFC 3986 request target', () => {
  it('accepts the seed example with [ and ] encoded and commas raw', () => {
    assert.doesNotThrow(() => checkTarget('/getDataByIds?idList=%5B1,2,3,4,5,6%5D'));
    assert.doesNotThrow(() => checkTarget('/getDataByIds?idList=%5B1%2C2%5D'));
  });
  it('refuses the seed non-compliant example, naming "[" and its position', () => {
    const msg = refused('/getDataByIds?idList=[1,2,3,4,5,6]');
    assert.match(msg, /"\[" at position 21 in the query/);
    assert.match(msg, /%5B/);
  });
  it('refuses raw spaces, bad percent-escapes, "#", backslash, non-ASCII and control characters', () => {
    assert.match(refused('/a b'), /space at position 2 in the path/);
    assert.match(refused('/a%2'), /"%" at position 2/);
    assert.match(refused('/a%zz'), /two hexadecimal digits/);
    assert.match(refused('/a#frag'), /"#" at position 2/);
    assert.match(refused('/a\\b'), /"\\" at position 2/);
    assert.match(refused('/caf\u00e9'), /%C3%A9/);
    assert.match(refused('/a?x=\u0001'), /control character 0x01/);
    assert.match(refused('/a?x={}'), /"\{" at position 5 in the query/);
  });
  it('accepts exactly the targets an independent character-by-character oracle accepts', () => {
    const oracle = (t: string): boolean => {
      if (!t.startsWith('/')) return false;
      for (let i = 0; i < t.length; i++) {
        const c = t[i]!;
        if (c === '?') continue; // "?" is allowed in the query, and the first one starts it
        if (c === '%') { if (!/^[0-9a-fA-F]{2}$/.test(t.slice(i + 1, i + 3))) return false; i += 2; continue; }
        if (!/[A-Za-z0-9\-._~!$&'()*+,;=:@/]/.test(c)) return false;
      }
      return true;
    };
    const ch = fc.constantFrom('a', 'Z', '0', '/', '?', '%', '2', 'f', 'g', '[', ']', ' ', '#', ',', '=', '&', '~', '\\', '{', '"', '\u00e9');
    fc.assert(fc.property(fc.array(ch, { maxLength: 12 }), (chars) => {
      const t = `/${chars.join('')}`;
      let ok = true;
      try { checkTarget(t); } catch { ok = false; }
      return ok === oracle(t);
    }), { numRuns: 2000 });
  });
  it('allows every pchar, "/" and "?" in the query', () => {
    assert.doesNotThrow(() => checkTarget("/a-._~!$&'()*+,;=:@/b?c=/d?e=f&g=%20"));
  });
});

describe('path normalisation', () => {
  it('removes dot segments, collapses "//" and decodes encoded unreserved characters', () => {
    assert.equal(normalizePath('/public/../admin'), '/admin');
    assert.equal(normalizePath('/public/%2e%2e/admin'), '/admin');
    assert.equal(normalizePath('/public/%2E%2E/admin'), '/admin');
    assert.equal(normalizePath('//public///x'), '/public/x');
    assert.equal(normalizePath('/a/./b/'), '/a/b/');
    assert.equal(normalizePath('/%7Euser/%41'), '/~user/A');
    assert.equal(normalizePath('/a%20b'), '/a%20b');
  });
  it('refuses encoded slashes and climbing above the root', () => {
    assert.throws(() => normalizePath('/public%2F..%2Fadmin'), /%2F is not allowed/);
    assert.throws(() => normalizePath('/a%5cb'), /%5C is not allowed/);
    assert.throws(() => normalizePath('/../etc'), /above the root/);
    assert.throws(() => normalizePath('/a/%2e%2e/%2e%2e/b'), /above the root/);
  });
  it('is idempotent and leaves no dot segment or empty segment', () => {
    const seg = fc.constantFrom('a', 'b', '.', '..', '', '%2e', '%2E%2e', 'c%41');
    fc.assert(fc.property(fc.array(seg, { maxLength: 8 }), (segs) => {
      let n: string;
      try {
        n = normalizePath(`/${segs.join('/')}`);
      } catch {
        return true;
      }
      return normalizePath(n) === n && !/(^|\/)\.\.?(\/|$)/.test(n) && !n.includes('//');
    }));
  });
});

describe('host schemes', () => {
  const p = (h: string) => parseHost(h, 'localhost', 'local');
  it('web apps: {tenant}-{app}[-{provider}].{region}[-{env}].{domain}', () => {
    assert.deepEqual(p('abc-assetmanager.local.localhost:8080'), { kind: 'webapp', tenant: 'abc', app: 'assetmanager', provider: undefined, env: undefined });
    assert.deepEqual(p('abc-assetmanager-xyz.local-preview.localhost'), { kind: 'webapp', tenant: 'abc', app: 'assetmanager', provider: 'xyz', env: 'preview' });
  });
  it('gateway and southgate hosts, bare localhost and IPs', () => {
    assert.deepEqual(p('gateway.local.localhost'), { kind: 'gateway', env: undefined });
    assert.deepEqual(p('southgate.local-preview.localhost:1'), { kind: 'southgate', env: 'preview' });
    assert.equal(p('localhost:8080').kind, 'gateway');
    assert.equal(p('127.0.0.1:8080').kind, 'gateway');
    assert.equal(p('[::1]:8080').kind, 'gateway');
  });
  it('with a configured domain and region', () => {
    assert.equal(parseHost('abc-assetmanager.eu1.mindsphere.io', 'mindsphere.io', 'eu1').kind, 'webapp');
    assert.equal(parseHost('abc-assetmanager.eu2.mindsphere.io', 'mindsphere.io', 'eu1').kind, 'unknown');
  });
  it('unknown hosts', () => {
    for (const h of ['example.com', 'abc.local.localhost', 'a-b-c-d.local.localhost', 'x.y.local.localhost', 'abc-app.other.localhost', 'ABC-app!.local.localhost']) {
      assert.equal(p(h).kind, 'unknown', h);
    }
  });
});
