/**
 * Time series pages written from the store's record bytes (series-page.ts) against the row path (rows.ts lanes,
 * raw-rows.ts), over the wire: for random queries of one asset (windows, $orderby desc, $top, $skip, $count,
 * $select of every property, odata.maxpagesize), every page, followed by its next links to the end, is the same
 * bytes with the port's readSeriesRuns as without it (then the service takes the row path), with the same
 * content type and length. The records hold strings with quotes, backslashes and non-ASCII characters, missing
 * variables and quality codes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ODataPort } from '../../src/odata/ports.js';
import { useServer } from '../helpers/server.js';
import { buildFixture, type Fixture, START } from './helpers.js';

describe('OData time series pages from record bytes', () => {
  const s = useServer();
  let f: Fixture;
  const TS = 'PowerConsumption_PrimaryMotor_Turbine';
  const STATES = ['run', 'a"b', 'c\\d', 'grün €', '😀', '', ',{"_time":"', '\u2028'];

  before(async () => {
    f = await buildFixture(s(), 60);
    // c2: records with variables missing, strings to escape, quality codes
    const records = fc.sample(fc.record({ current: fc.double({ noNaN: true, noDefaultInfinity: true }), current_qc: fc.nat(), voltage: fc.integer(),
      state: fc.constantFrom(...STATES) }, { requiredKeys: [] }), { seed: 14, numRuns: 90 })
      .map((v, i) => ({ _time: new Date(START + (i + 1) * 30_000).toISOString(), ...v }));
    const res = await s().api(`/api/iottimeseries/v3/timeseries/${f.c2}/PrimaryMotor`, { method: 'PUT', body: JSON.stringify(records) });
    assert.ok(res.status === 204 || res.status === 200, await res.text());
  });

  /** Every page's status, content type and bytes, following next links. */
  async function pages(query: string, prefer?: string): Promise<string[]> {
    const out: string[] = [];
    for (let url: string | undefined = `${f.service}${query}`; url;) {
      const r = await s().api(url.replace(s().url, ''), prefer ? { headers: { prefer } } : {});
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.equal(Number(r.headers.get('content-length')), bytes.length);
      out.push(`${r.status} ${r.headers.get('content-type')}\n${bytes.toString('base64')}`);
      url = r.status === 200 ? JSON.parse(bytes.toString())['@odata.nextLink'] : undefined;
      assert.ok(out.length < 100);
    }
    return out;
  }

  it('sends the row path\'s bytes for every page of random queries', async () => {
    const port = (s().platform.odata.service as unknown as { port: ODataPort }).port;
    const runs = port.readSeriesRuns;
    assert.ok(runs, 'the platform port reads runs');
    let fast = 0;
    const minute = 60_000;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(f.c2, f.t1, f.c1), fc.option(fc.tuple(fc.integer({ min: -5, max: 70 }), fc.integer({ min: 0, max: 80 })), { nil: undefined }),
      fc.boolean(), fc.option(fc.nat(70), { nil: undefined }), fc.option(fc.nat(70), { nil: undefined }), fc.boolean(), fc.boolean(),
      fc.option(fc.integer({ min: 1, max: 25 }), { nil: undefined }),
      async (asset, window, desc, top, skip, count, selectAll, maxPage) => {
        let filter = `assetId eq '${asset}'`;
        if (window) {
          const [a, len] = window;
          filter += ` and timestamp gt ${new Date(START + a * minute).toISOString()} and timestamp le ${new Date(START + (a + len) * minute).toISOString()}`;
        }
        const q = [`$filter=${encodeURIComponent(filter)}`, ...(desc ? ['$orderby=timestamp%20desc'] : []), ...(top !== undefined ? [`$top=${top}`] : []),
          ...(skip !== undefined ? [`$skip=${skip}`] : []), ...(count ? ['$count=true'] : []),
          ...(selectAll ? ['$select=assetId,timestamp,current,current_qc,voltage,state'] : [])].join('&');
        const prefer = maxPage !== undefined ? `odata.maxpagesize=${maxPage}` : undefined;
        // counted, so the test shows the bytes path was taken
        port.readSeriesRuns = async (...a) => { fast++; return runs(...a); };
        const withBytes = await pages(`${TS}?${q}`, prefer);
        delete port.readSeriesRuns;
        const withRows = await pages(`${TS}?${q}`, prefer);
        assert.deepEqual(withBytes, withRows, q);
      }), { numRuns: 40, seed: 1414 });
    port.readSeriesRuns = runs;
    assert.ok(fast > 40, `pages from record bytes: ${fast}`);
  });
});
