/**
 * One cap for every slow hash check of the process (--max-secret-checks): wrong secrets at the token endpoint, wrong
 * secrets of web app clients at the sign-in's token endpoint and wrong passwords at a web app host's /login all count
 * against the same cap, so a flood at any of them cannot run more checks at once than the cap, and the rest get 429
 * with Retry-After before any hashing.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { registerOk, webHost } from '../gateway/helpers.js';

interface Answer { status: number; retryAfter: string | undefined; body: string }

/** One keep-alive connection per request, opened and warmed before the flood, so all requests arrive at once. */
class Connection {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly url: URL, private readonly host: string) {}
  send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ hostname: this.url.hostname, port: this.url.port, method, path, agent: this.agent,
        headers: { host: this.host, ...headers } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

const CAP = 2;
const PER_ENDPOINT = 6;

describe(`one cap on hash checks across /oauth/token, /oauth/webapp/token and /login (cap ${CAP}, scrypt cost 16)`, () => {
  // Cost 16 makes each check take far longer than the flood takes to arrive; the back-off is out of the way.
  const s = useServer({ maxConcurrentSecretChecks: CAP, secretHashCost: 16, authBackoffAfter: 1000 });

  it(`${PER_ENDPOINT * 3} concurrent wrong secrets and passwords: exactly ${CAP} are checked, every other one gets 429 busy`, async (t) => {
    await registerOk(s(), { name: 'dash', target: 'http://127.0.0.1:1', patterns: ['/**'] });
    const url = new URL(s().url);
    const platformHost = url.host;
    const appHost = webHost(s(), 'dash');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    // Every request names another account (so no back-off interferes) and sends a secret, so every one needs a check.
    const requests: { endpoint: string; conn: Connection; go: (c: Connection) => Promise<Answer> }[] = [];
    for (let i = 0; i < PER_ENDPOINT; i++) {
      requests.push({ endpoint: '/oauth/token', conn: new Connection(url, platformHost), go: (c) => c.send('POST', '/oauth/token',
        { ...form, authorization: basic(`${s().tenant}-nobody-${randomUUID()}`, 'wrong-secret') }, 'grant_type=client_credentials') });
      requests.push({ endpoint: '/oauth/webapp/token', conn: new Connection(url, platformHost), go: (c) => c.send('POST', '/oauth/webapp/token',
        form, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: `${s().tenant}-app-${randomUUID()}`, client_secret: 'wrong' }).toString()) });
      requests.push({ endpoint: '/login', conn: new Connection(url, appHost), go: (c) => c.send('POST', '/login', form,
        new URLSearchParams({ email: `nobody-${randomUUID()}@example.com`, password: 'wrong-password' }).toString()) });
    }
    try {
      for (const r of requests) {
        const warm = r.endpoint === '/login' ? await r.conn.send('GET', '/login') : await r.conn.send('GET', '/health');
        assert.equal(warm.status, 200);
      }
      const answers = await Promise.all(requests.map((r) => r.go(r.conn)));
      const counts: Record<string, { checked: number; busy: number }> = {};
      answers.forEach((a, i) => {
        const c = counts[requests[i]!.endpoint] ??= { checked: 0, busy: 0 };
        if (a.status === 401) c.checked++;
        else {
          assert.equal(a.status, 429, `${requests[i]!.endpoint}: ${a.status} ${a.body}`);
          assert.equal(a.retryAfter, '1');
          assert.match(a.body, /temporarily_unavailable|ironbridge\.oauth\.busy/);
          c.busy++;
        }
      });
      t.diagnostic(`answers per endpoint: ${JSON.stringify(counts)}`);
      const checked = Object.values(counts).reduce((n, c) => n + c.checked, 0);
      const busy = Object.values(counts).reduce((n, c) => n + c.busy, 0);
      assert.equal(checked, CAP, `checks that ran: ${JSON.stringify(counts)}`);
      assert.equal(busy, PER_ENDPOINT * 3 - CAP);
      assert.ok(counts['/login']!.busy > 0 && counts['/oauth/token']!.busy > 0 && counts['/oauth/webapp/token']!.busy > 0,
        'each endpoint met the one cap');
      assert.equal(s().platform.identity.guard.inFlight, 0, 'every check released its slot');
      // Once the flood is over, checks run again.
      assert.equal((await requests[2]!.go(requests[2]!.conn)).status, 401);
    } finally {
      for (const r of requests) r.conn.close();
    }
  });
});
