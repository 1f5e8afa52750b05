/**
 * Fuzzing the wire (Industrial IoT Gateway "RFC compliance": RFC 7230 message syntax): raw requests over a socket
 * with bad methods, versions and targets, header oddities, duplicated or contradictory Content-Length, chunked
 * oddities and line-ending tricks, built from the server's route table. Properties: the server answers or closes
 * within the deadline (the client half-closes, so waiting for bytes that never come is not a hang), never with a
 * 5xx, a well-formed request is answered in the error shape of its target; a bad request followed by a good one
 * on the same connection gets both answered unless the first answer says Connection: close; and the server is
 * healthy afterwards. Trickling (slowloris) clients are not generated: issue 12 "Slowloris" is a later task.
 * Seed, runs and open holes: fuzz-settings.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ANSWER_DEADLINE_MS, errorShapeProblem, paramsOf, type SecurityEnv, securityEnv } from './harness.js';
import { fuzzRun, healthy, OPEN_HOLES, RUNS, SEED } from './fuzz-settings.js';
import { exchange, type RawResponse } from './wire.js';

const DEADLINE_MS = ANSWER_DEADLINE_MS;

/**
 * A piece of a raw request; `odd` says how it breaks HTTP/1.1 message syntax (RFC 7230). An answer to an odd
 * request is checked for no 5xx and no hang; its shape only once OPEN_HOLES.parserErrors is closed (issue 12
 * "HTTP edge answers outside our shapes": today node's parser errors get fastify's own body, a request without
 * Host an empty 400).
 */
interface Part { text: string; odd?: string }
const ok = (text: string): Part => ({ text });
const odd = (text: string, why: string): Part => ({ text, odd: why });

interface RawRequest { method: Part; target: Part; version: Part; eol: Part; host: Part; headers: Part[]; body: Part }

const bytesOf = (r: RawRequest): Buffer => {
  const eol = r.eol.text;
  const line = r.version.text ? `${r.method.text} ${r.target.text} ${r.version.text}` : `${r.method.text} ${r.target.text}`;
  const head = [line, ...(r.host.text ? [r.host.text] : []), ...r.headers.map((h) => h.text).filter(Boolean)].join(eol);
  return Buffer.from(`${head}${eol}${eol}${r.body.text}`, 'latin1');
};
const oddities = (r: RawRequest): string[] =>
  [r.method, r.target, r.version, r.eol, r.host, ...r.headers, r.body].map((p) => p.odd).filter((o): o is string => !!o);

function rawRequest(env: SecurityEnv): fc.Arbitrary<RawRequest> {
  const port = new URL(env.url).port;
  const targets = [...new Set(env.routes.map((r) => r.url.replace(/:([A-Za-z0-9_]+)/g, 'x')))];
  const json = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8').toString('latin1'));
  const method = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD').map(ok) },
    { weight: 1, arbitrary: fc.constantFrom(odd('get', 'lowercase method'), odd('FOO', 'unknown method'), odd('', 'no method'),
      odd('G\u0000T', 'NUL in the method'), odd('CONNECT', 'CONNECT (no tunnel: the socket is dropped)'), odd('PRI', 'the HTTP/2 preface'),
      odd('X'.repeat(5000), 'a 5000-byte method'), odd('GET GET', 'two methods')) },
  );
  const target = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...targets).map(ok) },
    { weight: 2, arbitrary: fc.constantFrom(ok('*'), ok(`http://127.0.0.1:${port}/health`), ok('/%c0%af'), ok('/api/assetmanagement/v3/assets/%ff'),
      ok(`/${'a'.repeat(20_000)}`), ok('//x'), ok('/..'), ok('/../../etc/passwd'), ok('/x#frag'), ok('/api/assetmanagement/v3/assets?filter={"a":1}'),
      ok('/api/iottimeseries/v3/timeseries/x/y?from=[1]'), ok('/health?%'), ok('/api/%2e%2e/oauth/token'), ok('/api/assetmanagement/v3/assets/x%00y'),
      odd('127.0.0.1:80', 'authority-form outside CONNECT'), odd('', 'no target'), odd('/a b', 'a space in the target'), odd('/é', 'a raw byte from 0x80 up'),
      odd('/\u007f', 'DEL in the target')) },
  );
  const version = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(ok('HTTP/1.1'), ok('HTTP/1.0')) },
    { weight: 1, arbitrary: fc.constantFrom(odd('HTTP/2.0', 'HTTP/2.0 on an HTTP/1 line'), odd('HTTP/1.2', 'unknown minor version'), odd('http/1.1', 'lowercase version'),
      odd('HTTP/1.1x', 'junk after the version'), odd('HTTP/11', 'malformed version'), odd('', 'no version (HTTP/0.9)'), odd('HTTP/1.1 HTTP/1.1', 'two versions')) },
  );
  const eol = fc.oneof({ weight: 8, arbitrary: fc.constant(ok('\r\n')) }, { weight: 1, arbitrary: fc.constantFrom(odd('\n', 'bare LF line ends'), odd('\r', 'bare CR line ends')) });
  const host = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(ok(`Host: 127.0.0.1:${port}`), ok(`Host: localhost:${port}`), ok(`Host: ${env.A.name}-dash.local.localhost:${port}`),
      ok(`Host: gateway.local.localhost:${port}`), ok('Host: évil.example.com'), ok('Host: [::1'), ok(`Host: ${'h'.repeat(300)}`)) },
    { weight: 1, arbitrary: fc.constantFrom(odd('', 'no Host (issue 12: an empty 400 today)'), odd('Host: a\r\nHost: b', 'two Host headers'), odd('Host:', 'an empty Host')) },
  );
  const header = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(ok('Accept: application/xml'), ok('Accept: text/html'), ok('Accept: image/png'), ok(`Authorization: Bearer ${env.A.token}`),
      ok('Authorization: Bearer a.b.c'), ok('Content-Type: application/json'), ok('Content-Type: application/x-www-form-urlencoded'), ok('Expect: 100-continue'),
      ok('Connection: close'), ok('Connection: keep-alive, Upgrade\r\nUpgrade: websocket'), ok(`X-Long: ${'a'.repeat(20_000)}`), ok('Cookie: SESSION=x; REGION-SESSION=y'),
      ok('X-Requested-With: XMLHttpRequest'), ok('Accept-Encoding: gzip, br'), ok('X-Empty:')) },
    { weight: 1, arbitrary: fc.constantFrom(odd('X-Odd-No-Colon', 'a header line without a colon'), odd('Bad Name: x', 'a space in a header name'),
      odd('X-A: a\r\n folded', 'obs-fold'), odd('X-A: a\u0000b', 'NUL in a header value'), odd('X-Sp : x', 'a space before the colon'),
      odd('Transfer-Encoding: gzip', 'a transfer coding that is not chunked last')) },
  );
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.constant(ok('')) },
    { weight: 3, arbitrary: json.map((b) => ok(`Content-Length: ${Buffer.byteLength(b, 'latin1')}\r\n\r\n${b}`)) },
    { weight: 2, arbitrary: json.map((b) => ok(`Transfer-Encoding: chunked\r\n\r\n${b.length.toString(16)};ext=1\r\n${b}\r\n0\r\nX-Trailer: t\r\n\r\n`)) },
    { weight: 2, arbitrary: fc.tuple(json, fc.constantFrom(
      (b: string) => odd(`Content-Length: ${b.length + 50}\r\n\r\n${b}`, 'a body shorter than its Content-Length'),
      (b: string) => odd(`Content-Length: 2\r\n\r\n${b}`, 'bytes after the body (a pipelined fragment)'),
      (b: string) => odd(`Content-Length: ${b.length}\r\nContent-Length: ${b.length}\r\n\r\n${b}`, 'Content-Length twice'),
      (b: string) => odd(`Content-Length: ${b.length}\r\nContent-Length: ${b.length + 1}\r\n\r\n${b}`, 'two different Content-Lengths'),
      (b: string) => odd(`Content-Length: -${b.length}\r\n\r\n${b}`, 'a negative Content-Length'),
      (b: string) => odd(`Content-Length: +${b.length}\r\n\r\n${b}`, 'a signed Content-Length'),
      (b: string) => odd(`Content-Length: 0x10\r\n\r\n${b}`, 'a hexadecimal Content-Length'),
      (b: string) => odd(`Content-Length: ${b.length}\r\nTransfer-Encoding: chunked\r\n\r\n${b}`, 'Content-Length and Transfer-Encoding'),
      (b: string) => odd(`Transfer-Encoding: chunked\r\n\r\nzz\r\n${b}\r\n0\r\n\r\n`, 'a chunk size that is not hexadecimal'),
      (b: string) => odd(`Transfer-Encoding: chunked\r\n\r\n${b.length.toString(16)}\r\n${b}\r\n`, 'no last chunk'),
      (b: string) => odd(`Transfer-Encoding: chunked\r\n\r\nffffffffffff\r\n${b}\r\n0\r\n\r\n`, 'a huge chunk size'),
      (b: string) => odd(`Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n${b}`, 'chunked twice'),
      (b: string) => odd(`Transfer-Encoding: chunked\r\n\r\n${b.length.toString(16)}\r\n${b}0\r\n\r\n`, 'a chunk without its CRLF'),
    )).map(([b, f]) => f(b)) },
    { weight: 1, arbitrary: fc.constant(odd('Content-Length: 999999999999\r\n\r\n', 'a declared body that never comes (the client half-closes)')) },
  );
  return fc.record({ method, target, version, eol, host, headers: fc.array(header, { maxLength: 3 }), body })
    // the framing part carries its own header lines and the blank line: it goes last in the head
    .map((r) => ({ ...r, headers: [...r.headers, ...(r.body.text.includes('\r\n\r\n') ? [{ text: r.body.text.split('\r\n\r\n')[0]!, odd: r.body.odd }] : [])],
      body: { text: r.body.text.includes('\r\n\r\n') ? r.body.text.slice(r.body.text.indexOf('\r\n\r\n') + 4) : r.body.text, odd: r.body.odd } }));
}

const describeRequest = (r: RawRequest) => JSON.stringify(bytesOf(r).toString('latin1').slice(0, 600));

describe(`fuzzing the wire (seed ${SEED}, ${RUNS * 8} raw requests)`, () => {
  let env: SecurityEnv;
  let port: number;
  const counts = { requests: 0, odd: 0 };
  before(async () => {
    env = await securityEnv();
    port = Number(new URL(env.url).port);
  });
  after(async () => {
    console.log(`# wire fuzz (seed ${SEED}): ${counts.requests} raw requests, ${counts.odd} of them odd`);
    await env.close();
  });

  const problemOf = (r: RawRequest, answer: RawResponse): string | undefined => {
    if (answer.status >= 500) return `${answer.status}: ${answer.body.slice(0, 300)}`;
    if (answer.status < 400 || r.method.text === 'HEAD') return undefined;
    if (OPEN_HOLES.parserErrors && oddities(r).length > 0) return undefined;
    if (OPEN_HOLES.headOverflow && answer.status === 431) return undefined;
    return errorShapeProblem({ status: answer.status, headers: answer.headers, text: answer.body }, r.target.text, r.method.text,
      /^Host: [a-z0-9]+-/.test(r.host.text));
  };

  it('answers or closes in time, never with a 5xx, and in the error shape of the target for well-formed requests', async () => {
    await fc.assert(fc.asyncProperty(rawRequest(env), async (r) => {
      counts.requests++;
      if (oddities(r).length > 0) counts.odd++;
      const x = await exchange(port, bytesOf(r), { halfClose: true, deadlineMs: DEADLINE_MS, head: r.method.text === 'HEAD' });
      assert.equal(x.timedOut, false, `no answer and no close within ${DEADLINE_MS} ms for ${describeRequest(r)}`);
      const first = x.responses[0];
      if (!first) {
        assert.ok(oddities(r).length > 0 || (OPEN_HOLES.parserErrors && x.raw === ''),
          `a well-formed request got no answer: ${describeRequest(r)} → ${JSON.stringify(x.raw.slice(0, 300))}`);
        return;
      }
      for (const answer of x.responses) {
        const problem = problemOf(r, answer);
        assert.equal(problem, undefined, `${describeRequest(r)} (odd: ${oddities(r).join('; ') || 'no'}) → ${problem}`);
      }
    }), fuzzRun(RUNS * 8));
    await healthy(env);
  });

  it('a refused request and a good one on one connection: both are answered, or the first answer says Connection: close', async () => {
    const good = `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    await fc.assert(fc.asyncProperty(rawRequest(env).filter((r) => !r.body.odd && r.body.text === '' && r.method.text !== 'CONNECT' && r.eol.text === '\r\n'),
      async (r) => {
        counts.requests += 2;
        // RFC 7230 §6.6: no request may follow one that closes the connection (HTTP/1.0, Connection: close)
        const closing = r.version.text === 'HTTP/1.0' || r.headers.some((h) => /^Connection: close/i.test(h.text));
        const oddOnes = [...oddities(r), ...(closing ? ['a second request after one that closes the connection'] : [])];
        if (oddOnes.length > 0) counts.odd++;
        const x = await exchange(port, Buffer.concat([bytesOf(r), Buffer.from(good)]),
          { halfClose: false, expect: 2, deadlineMs: DEADLINE_MS, head: r.method.text === 'HEAD' });
        assert.equal(x.timedOut, false, `neither two answers nor a close within ${DEADLINE_MS} ms: ${describeRequest(r)} → ${JSON.stringify(x.raw.slice(0, 300))}`);
        const [first, second] = x.responses;
        for (const answer of x.responses) assert.ok(answer.status < 500, `${answer.status} after ${describeRequest(r)}: ${answer.body.slice(0, 300)}`);
        // issue 12 "HTTP edge answers": today the answer to a request the parser refuses (or to one that closes the
        // connection, when more bytes follow) is fastify's 400, which does not say it closes; the first answer is lost
        if (OPEN_HOLES.parserErrors && oddOnes.length > 0) return;
        assert.ok(first, `no answer at all to a well-formed request: ${describeRequest(r)}`);
        if (second && !closing) {
          assert.equal(second.status, 200, `the good request after ${describeRequest(r)}`);
          return;
        }
        assert.match(first.headers['connection'] ?? '', /close/i, `the server closed after ${first.status} without Connection: close: ${describeRequest(r)}`);
      }), fuzzRun(RUNS * 2));
    await healthy(env);
  });

  it('targets with every path parameter of every route filled with a byte the gateway refuses get 400 in the shape of the route', async () => {
    for (const route of env.routes.filter((r) => paramsOf(r.url).length > 0 && r.method !== 'HEAD')) {
      for (const bad of ['%zz', '"', '<', '{', '|', '\\', '^', '`']) {
        const target = route.url.replace(/:([A-Za-z0-9_]+)|\*$/g, `a${bad}b`);
        counts.requests++;
        const x = await exchange(port, Buffer.from(`${route.method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/xml\r\n\r\n`),
          { halfClose: true, deadlineMs: DEADLINE_MS });
        const answer = x.responses[0];
        assert.equal(answer?.status, 400, `${route.method} ${target} → ${x.raw.slice(0, 200)}`);
        assert.equal(errorShapeProblem({ status: answer.status, headers: answer.headers, text: answer.body }, target), undefined, `${route.method} ${target}`);
      }
    }
  });
});
