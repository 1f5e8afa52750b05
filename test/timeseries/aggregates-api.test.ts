/** Aggregates v4 and v3 parameter rules over HTTP (IoT Time Series Aggregates API v3; IoT Time Series Aggregates API v4; Insights Hub IIoT for Makers §8.4). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type TestServer, useServer } from '../helpers/server.js';
import { AGG3, AGG4, json, makeAsset, put } from './helpers.js';

const H = 3600_000;
const t0 = Date.parse('2024-06-03T00:00:00.000Z'); // a Monday
const at = (ms: number) => new Date(t0 + ms).toISOString();

describe('aggregates parameters', () => {
  const server = useServer();
  let s: TestServer;
  let A: string;
  before(async () => {
    s = server();
    A = await makeAsset(s, 'AggPump');
    // one record every 10 minutes for 3 days: count = index
    const recs = Array.from({ length: 3 * 144 }, (_, i) => ({ _time: at((i + 1) * 600_000), count: i + 1, temperature: 1, label: 'x' }));
    assert.equal((await put(s, A, 'Env', recs)).status, 204);
  });

  const v4 = async (q: string) => {
    const res = await s.api(`${AGG4}?assetId=${A}&aspectName=Env&${q}`);
    return { status: res.status, body: await json(res) };
  };

  it('400 listing the allowed values for an invalid intervalUnit or intervalValue (seed §8.4)', async () => {
    const days = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=days&intervalValue=1`);
    assert.equal(days.status, 400);
    const e = days.body.errors[0];
    assert.equal(e.code, 'mdsp.core.generic.invalidParameter');
    assert.match(e.message, /intervalUnit is invalid: "days" is not one of the allowed values minute, hour, day, week, month/);
    for (const [unit, value, allowed] of [['minute', '3', /2, 4, 6, …, 60/], ['minute', '62', /even/], ['hour', '25', /1 to 24/],
      ['day', '91', /1 to 90/], ['week', '13', /1 to 12/], ['month', '4', /1 to 3/], ['hour', 'x', /1 to 24/]] as const) {
      const r = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=${unit}&intervalValue=${value}`);
      assert.equal(r.status, 400, `${unit} ${value}`);
      assert.match(r.body.errors[0].message, /intervalValue/);
      assert.match(r.body.errors[0].message, allowed);
    }
  });

  it('400 for a range longer than the unit allows, naming the maximum', async () => {
    for (const [unit, value, span, max] of [['minute', 2, 25 * H, '24 hours'], ['hour', 1, 8 * 24 * H, '7 days'], ['day', 1, 91 * 24 * H, '90 days']] as const) {
      const r = await v4(`from=${at(0)}&to=${at(span)}&intervalUnit=${unit}&intervalValue=${value}`);
      assert.equal(r.status, 400);
      assert.match(r.body.errors[0].message, new RegExp(`at most ${max}`));
    }
  });

  it('widens unaligned bounds outward to whole intervals', async () => {
    const r = await v4(`from=${at(H + 10 * 60_000)}&to=${at(2 * H + 50 * 60_000)}&intervalUnit=hour&intervalValue=1`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.aggregates.map((x: { starttime: string; endtime: string }) => [x.starttime, x.endtime]),
      [[at(H), at(2 * H)], [at(2 * H), at(3 * H)]]);
    assert.equal(r.body.aggregates[0].count.countgood, 6);
    assert.equal(r.body.aggregates[0].count.firstvalue, 7);
    assert.equal(r.body.aggregates[0].count.lastvalue, 12);
  });

  it('accepts date-only and zone-less bounds, days and weeks align to the asset time zone (UTC here)', async () => {
    const r = await v4('from=2024-06-03&to=2024-06-05T00&intervalUnit=day&intervalValue=1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.aggregates.map((x: { starttime: string }) => x.starttime), [at(0), at(24 * H)]);
    assert.equal(r.body.aggregates[0].count.countgood, 144);
    const w = await v4(`from=${at(30 * H)}&to=${at(50 * H)}&intervalUnit=week&intervalValue=1`);
    assert.deepEqual(w.body.aggregates.map((x: { starttime: string; endtime: string }) => [x.starttime, x.endtime]), [[at(0), at(7 * 24 * H)]]);
    assert.equal(w.body.aggregates[0].count.countgood, 3 * 144);
  });

  it('auto-completes: count with from and to gives the interval; unit alone gets its smallest value', async () => {
    const c = await v4(`from=${at(0)}&to=${at(24 * H)}&count=24`);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.aggregates.length, 24);
    assert.equal(Date.parse(c.body.aggregates[0].endtime) - Date.parse(c.body.aggregates[0].starttime), H);
    const u = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=minute`);
    assert.equal(Date.parse(u.body.aggregates[0].endtime) - Date.parse(u.body.aggregates[0].starttime), 2 * 60_000);
    const bad = await v4(`from=${at(0)}&to=${at(H)}&count=7`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0].message, /range \/ count/);
    const onlyFrom = await v4(`from=${at(0)}&intervalUnit=hour&intervalValue=2&count=3`);
    assert.deepEqual(onlyFrom.body.aggregates.map((x: { starttime: string; endtime: string }) => [x.starttime, x.endtime]),
      [[at(0), at(2 * H)], [at(2 * H), at(4 * H)], [at(4 * H), at(6 * H)]]);
    const onlyTo = await v4(`to=${at(6 * H)}&intervalUnit=hour&intervalValue=2&count=2`);
    assert.deepEqual(onlyTo.body.aggregates.map((x: { starttime: string }) => x.starttime), [at(2 * H), at(4 * H)]);
    const fromDefault = await v4(`from=${at(0)}`);
    assert.equal(fromDefault.status, 200); // to = from + 90 days capped at now; the finest unit whose range fits: day
    assert.equal(fromDefault.body.aggregates.length, 3);
    const valueWithoutUnit = await v4(`from=${at(0)}&to=${at(H)}&intervalValue=2`);
    assert.equal(valueWithoutUnit.status, 400);
    assert.match(valueWithoutUnit.body.errors[0].message, /intervalUnit is missing/);
    const none = await s.api(`${AGG4}?assetId=${A}&aspectName=Env`);
    assert.equal(none.status, 200); // day/1 over the last 7 days: no data there
    assert.deepEqual(await json(none), { aggregates: [] });
  });

  it('numeric variables get every field as numbers; other types get counts and first/last', async () => {
    const r = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=hour&intervalValue=1`);
    const i = r.body.aggregates[0];
    for (const f of ['countgood', 'countuncertain', 'countbad', 'sum', 'average', 'minvalue', 'maxvalue', 'sd']) {
      assert.equal(typeof i.temperature[f], 'number', f);
    }
    assert.equal(i.temperature.sd, 0);
    assert.deepEqual(Object.keys(i.label).sort(), ['countbad', 'countgood', 'countuncertain', 'firsttime', 'firstvalue', 'lasttime', 'lastvalue']);
    const sel = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=hour&intervalValue=1&select=count.sum,count.maxvalue`);
    assert.deepEqual(sel.body.aggregates[0], { starttime: at(0), endtime: at(H), count: { sum: 21, maxvalue: 6 } });
    const badSel = await v4(`from=${at(0)}&to=${at(H)}&intervalUnit=hour&intervalValue=1&select=count.median`);
    assert.match(badSel.body.errors[0].message, /median is not an aggregate field; allowed: countgood/);
  });

  it('v3 answers an array in the legacy error shape and requires aligned bounds', async () => {
    const ok = await s.api(`${AGG3}/${A}/Env?from=${at(0)}&to=${at(2 * H)}&intervalUnit=hour&intervalValue=1`);
    assert.equal(ok.status, 200);
    const arr = await json(ok);
    assert.ok(Array.isArray(arr));
    assert.equal(arr.length, 2);
    const sixty = await s.api(`${AGG3}/${A}/Env?from=${at(5 * H + 30 * 60_000)}&to=${at(10 * H + 30 * 60_000)}&intervalUnit=minute&intervalValue=60`);
    assert.equal(sixty.status, 200);
    assert.equal((await json(sixty))[0].starttime, at(5 * H + 30 * 60_000));
    const unaligned = await s.api(`${AGG3}/${A}/Env?from=${at(5 * H + 30 * 60_000)}&to=${at(10 * H + 30 * 60_000)}&intervalUnit=hour&intervalValue=1`);
    assert.equal(unaligned.status, 400);
    const b = await json(unaligned);
    assert.deepEqual(Object.keys(b).sort(), ['id', 'message']);
    assert.match(b.message, /from is not aligned: must be at the start of a hour/);
    const ragged = await s.api(`${AGG3}/${A}/Env?from=${at(0)}&to=${at(90 * 60_000)}&intervalUnit=hour&intervalValue=1`);
    assert.match((await json(ragged)).message, /whole number of 1 hour intervals/);
    const enumBad = await s.api(`${AGG3}/${A}/Env?from=${at(0)}&to=${at(H)}&intervalUnit=days&intervalValue=1`);
    assert.match((await json(enumBad)).message, /minute, hour, day, week, month/);
  });
});
