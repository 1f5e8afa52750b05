/**
 * Answers at the edge that the fuzz suites found outside our error shapes, kept as plain cases over the wire: the
 * router's own refusals (a path segment over the parameter limit, a percent-encoding that is not UTF-8) and the
 * 431 for an oversized request head, and what node's HTTP parser refuses (no Host, an unknown method, a bad
 * Content-Length), answered with Connection: close since the connection cannot go on. Each answer must come from the error catalogue, in the shape of its path
 * (Insights Hub API error responses) and in the format the Accept header asks for (Industrial IoT Gateway
 * "Gateway Error Content Types").
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Answer, errorShapeProblem, header, type SecurityEnv, securityEnv, send } from './harness.js';
import { actorOf } from './fixtures/index.js';
import { assetFile } from './fixtures/assetfiles.js';
import { exchange } from './wire.js';

describe('edge answers in our error shapes', () => {
  let env: SecurityEnv;
  before(async () => { env = await securityEnv(); });
  after(() => env.close());

  const get = (path: string, accept?: string) =>
    send(env.url, { method: 'GET', path, headers: { authorization: `Bearer ${env.A.token}`, ...(accept ? { accept } : {}) } });

  it('a path parameter longer than 500 characters is a 400 naming the rule, in the shape of the path, JSON or XML', async () => {
    for (const path of [`/api/assetmanagement/v3/assets/${'a'.repeat(501)}`, `/api/iottimeseries/v3/timeseries/${'a'.repeat(501)}/x`]) {
      const json = await get(path);
      assert.equal(json.status, 400, json.text);
      assert.equal(errorShapeProblem(json, path), undefined);
      assert.match(json.text, /longer than 500 characters/);
      const xml = await get(path, 'application/xml');
      assert.equal(xml.status, 400);
      assert.match(header(xml, 'content-type') ?? '', /^application\/xml/);
      assert.equal(errorShapeProblem(xml, path), undefined);
    }
    assert.equal((await get(`/api/assetmanagement/v3/assets/${'a'.repeat(500)}`)).status, 404, '500 characters reach the handler');
  });

  it('a percent-encoding that is not UTF-8 (%c0%af) is a 400 in the shape of the path, JSON or XML', async () => {
    for (const path of ['/api/assetmanagement/v3/assets/%c0%af', '/api/iottimeseries/v3/timeseries/%ff/x', '/oauth/token/%c0%af']) {
      const json = await get(path);
      assert.equal(json.status, 400, json.text);
      assert.equal(errorShapeProblem(json, path), undefined, json.text);
      assert.match(json.text, /percent-encoding is not UTF-8/);
      const xml = await get(path, 'application/xml');
      assert.match(header(xml, 'content-type') ?? '', /^application\/xml/);
      assert.equal(errorShapeProblem(xml, path), undefined, xml.text);
    }
  });

  it('431 for a request head over 16 kB is in the shape of its path and the format of its Accept', async () => {
    const path = `/oauth/token?pad=${'a'.repeat(17_000)}`;
    const a = await send(env.url, { method: 'POST', path, headers: { accept: 'application/xml' } });
    assert.equal(a.status, 431);
    assert.match(header(a, 'content-type') ?? '', /^application\/xml/);
    assert.equal(errorShapeProblem(a, path), undefined, a.text);
    const assets = '/api/assetmanagement/v3/assets';
    const b = await send(env.url, { method: 'GET', path: assets, headers: { accept: 'application/xml', 'x-pad': 'a'.repeat(17_000) } });
    assert.equal(b.status, 431);
    assert.match(header(b, 'content-type') ?? '', /^application\/xml/);
    assert.equal(errorShapeProblem(b, assets), undefined, b.text);
  });

  /** One raw request on a fresh connection: its answer as an Answer, and whether it said and did close. */
  const raw = async (bytes: string) => {
    const x = await exchange(Number(new URL(env.url).port), Buffer.from(bytes, 'latin1'), { halfClose: false, expect: 2, deadlineMs: 10_000 });
    assert.equal(x.responses.length, 1, x.raw);
    const r = x.responses[0]!;
    const answer: Answer = { status: r.status, headers: r.headers, text: r.body };
    return { answer, closed: x.closed, said: r.headers['connection'] };
  };

  it('what the HTTP parser refuses is a 400 from the error catalogue in the shape and format asked, and says Connection: close', async () => {
    const then = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const cases = [
      { target: '/api/assetmanagement/v3/assets', bytes: 'GARBAGE /api/assetmanagement/v3/assets HTTP/1.1\r\nHost: localhost\r\n\r\n', xml: false, rule: /invalid method/ },
      { target: '/oauth/token', bytes: 'POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nAccept: application/xml\r\nContent-Length: abc\r\n\r\n', xml: true, rule: /content-length/ },
      { target: '/api/assetmanagement/v3/assets', bytes: 'GET /api/assetmanagement/v3/assets HTTP/1.1\r\nAccept: application/xml\r\n\r\n', xml: true, rule: /Host header/ },
      { target: '/api/iottimeseries/v3/timeseries/x/y', bytes: 'GET /api/iottimeseries/v3/timeseries/x/y HTTP/1.1\r\n\r\n', xml: false, rule: /Host header/ },
    ];
    for (const c of cases) {
      const { answer, closed, said } = await raw(c.bytes + then);
      assert.equal(answer.status, 400, answer.text);
      assert.match(header(answer, 'content-type') ?? '', c.xml ? /^application\/xml/ : /^application\/json/);
      assert.equal(errorShapeProblem(answer, c.target), undefined, answer.text);
      assert.match(answer.text, c.rule);
      assert.equal(said, 'close', 'the answer says the connection closes');
      assert.ok(closed, 'and the server closes it, so the request after it is not silently lost');
    }
    const old = await exchange(Number(new URL(env.url).port), Buffer.from('GET /health HTTP/1.0\r\n\r\n'), { halfClose: false, expect: 1, deadlineMs: 10_000 });
    assert.equal(old.responses[0]?.status, 200, 'HTTP/1.0 needs no Host header');
  });

  it('a request the parser refuses behind a valid one on the same connection is answered after the valid one', async () => {
    // A client may send its next request before the answer to the last one is out (pipelining), or while that
    // answer's last bytes are still being flushed: the refusal is the next request's, so the earlier answer
    // goes out whole first, then the 400 (before, the 400 went out as the first answer, or the connection was cut).
    const port = Number(new URL(env.url).port);
    const auth = `Authorization: Bearer ${env.A.token}\r\nHost: localhost\r\n`;
    const file = await assetFile(actorOf(env));
    const first = `GET /api/assetmanagement/v3/files/${file}/file HTTP/1.1\r\n${auth}\r\n`;
    for (const second of [`GET /api/assetmanagement/v3/files?sort=\xbf HTTP/1.1\r\n${auth}\r\n`, `GARBAGE / HTTP/1.1\r\n${auth}\r\n`]) {
      for (const head of ['', `GET /api/assetmanagement/v3/files/${file} HTTP/1.1\r\n${auth}\r\n`]) {
        const x = await exchange(port, Buffer.from(first + head + second, 'latin1'), { halfClose: false, expect: head ? 3 : 2, deadlineMs: 10_000 });
        assert.deepEqual(x.responses.map((r) => r.status), head ? [200, 200, 400] : [200, 400], x.raw.slice(0, 600));
        assert.equal(x.responses[0]!.headers['content-type'], 'text/plain');
        assert.equal(x.responses.at(-1)!.headers['connection'], 'close');
        const last = x.responses.at(-1)!;
        assert.equal(errorShapeProblem({ status: last.status, headers: last.headers, text: last.body }, '/api/assetmanagement/v3/files'), undefined, last.body);
      }
    }
  });

  it('a request the parser refuses once its head is read is answered once, with 400 and Connection: close, whatever follows', async () => {
    // node runs the route for a head it has read before it checks the framing (a Transfer-Encoding that does not end
    // in chunked): the refusal is that request's own answer, at once, and the connection ends with it; the request
    // behind it is never answered (the fuzz found it answered 200 and then 400)
    const port = Number(new URL(env.url).port);
    const good = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const x = await exchange(port, Buffer.from(`GET /health HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n${good}`),
      { halfClose: false, expect: 2, deadlineMs: 10_000 });
    assert.deepEqual(x.responses.map((r) => r.status), [400], x.raw.slice(0, 600));
    assert.equal(x.responses[0]!.headers['connection'], 'close');
  });

  it('a request head with a transfer coding that does not end in chunked, or with Content-Length beside one, is refused whole', async () => {
    // The bytes after the head arrive only once the answer is out (as under load, when the head and what follows
    // come in two reads): the gateway refuses the head itself, so its one answer is a 400 that closes, and nothing
    // answers the bytes that follow (the wire fuzz saw a route's 400 for the head, then a second 400 for the rest)
    const port = Number(new URL(env.url).port);
    for (const framing of ['Transfer-Encoding: gzip', 'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding: chunked\r\nContent-Length: 5']) {
      const got = await new Promise<{ text: string; closed: boolean }>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        const timer = setTimeout(() => { socket.destroy(); resolve({ text, closed: false }); }, 10_000);
        socket.on('connect', () => socket.write(`GET /api/assetmanagement/v3/files HTTP/1.1\r\nHost: localhost\r\n${framing}\r\n\r\n`));
        socket.once('data', () => socket.write('0\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', () => undefined));
        socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
        socket.on('error', () => undefined);
        socket.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }); });
      });
      assert.ok(got.closed, `${framing}: the connection closes`);
      const statuses = [...got.text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      assert.deepEqual(statuses, [400], `${framing}: ${got.text.slice(0, 400)}`);
      assert.match(got.text, /^Connection: close\r$/im, framing);
      assert.match(got.text, /ironbridge\.gateway\.badRequest/, framing);
    }
  });
});
