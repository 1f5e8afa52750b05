/**
 * The OData services against a brute-force oracle (test/odata/oracle.ts): random valid $filter / $orderby /
 * $select / $top / $skip / $count queries over generated data — assets of a three-level type family, and time
 * series records of some of them — sent over the wire (next links followed to the end, small pages asked for with
 * Prefer: odata.maxpagesize) must give exactly the rows the oracle computes over the same data, in the same order,
 * with the same count; random invalid queries must be a 400 in the OData error shape, never anything else.
 * Seeded (ODATA_PROPERTY_SEED overrides the seed) and bounded in time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { aspectType, call, createAsset, rootId } from '../assets/helpers.js';
import { useServer } from '../helpers/server.js';
import { TS } from '../timeseries/helpers.js';
import { json, REG } from './helpers.js';
import {
  type Asset, type AssetCond, type AssetField, assetCondText, conjunction, dataArb, evalAssets, evalSeries, FAMILY,
  queryString, type SeriesCond, seriesCondText, type SeriesRow, seriesValue, type SortItem, START, text, type TimeCond,
  TIMEZONES, type Window, window,
} from './oracle.js';

/** [entity set, query option, value]: each breaks exactly one rule of the service. */
type Bad = [string, string, string];

const SEED = Number(process.env['ODATA_PROPERTY_SEED'] ?? 20261202);
/** Each property stops after this long, whatever numRuns says (the machine is shared); at least MIN_RUNS must have run. */
const TIME_LIMIT_MS = 4000;
const MIN_RUNS = 15;

describe('OData queries agree with a brute-force evaluation', () => {
  const s = useServer();
  let assets: Asset[];
  let records: SeriesRow[];
  let typeIds: Record<string, string>;
  const service = '/api/odata/v4/Family/1.0.0/';

  /** Every row of a query, following the next links; checks each page on the way. */
  async function readAll(path: string, maxPage: number | undefined) {
    const rows: Record<string, unknown>[] = [];
    let url: string | undefined = `${service}${path}`;
    let count: number | undefined;
    const headers: Record<string, string> = maxPage ? { prefer: `odata.maxpagesize=${maxPage}` } : {};
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 500, 'paging ends');
      const r = await s().api(url.replace(/^https?:\/\/[^/]+/, ''), { headers });
      const body = await json(r);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(body)}`);
      if (maxPage) assert.ok(body.value.length <= maxPage);
      if (pages === 0) count = body['@odata.count'];
      else assert.equal(body['@odata.count'], count, 'the count stays the same on every page');
      rows.push(...body.value);
      url = body['@odata.nextLink'];
      if (url) assert.ok(body.value.length > 0, 'a next link follows a non-empty page');
    }
    return { rows, count };
  }

  it('builds the data: a type family, assets with own and default values, time series', async () => {
    const T = s().tenant;
    const data = fc.sample(dataArb, { seed: SEED, numRuns: 1 })[0]!;
    const put = async (path: string, body: unknown) => {
      const r = await call(s(), 'PUT', path, body, { 'if-none-match': '*' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    };
    await put(`/aspecttypes/${T}.Signal`, aspectType('Signal', 'dynamic', [
      { name: 'v', dataType: 'DOUBLE', unit: '' }, { name: 's', dataType: 'STRING', length: 8, unit: '' }]));
    typeIds = { Base: `${T}.Base`, Mid: `${T}.Mid`, Leaf: `${T}.Leaf` };
    await put(`/assettypes/${T}.Base`, { name: 'Base', parentTypeId: 'core.basicasset', aspects: [{ name: 'sig', aspectTypeId: `${T}.Signal` }],
      variables: [{ name: 'site', dataType: 'STRING', length: 8, unit: '', defaultValue: 'north' }] });
    await put(`/assettypes/${T}.Mid`, { name: 'Mid', parentTypeId: `${T}.Base`, variables: [{ name: 'level', dataType: 'INT', unit: '' }] });
    await put(`/assettypes/${T}.Leaf`, { name: 'Leaf', parentTypeId: `${T}.Mid` });
    const plant = (await createAsset(s(), 'plant', 'core.basicsite', await rootId(s()))).assetId as string;
    assets = [];
    records = [];
    for (const [i, a] of data.entries()) {
      const parentId = a.parent < 0 ? plant : assets[a.parent]!.assetId;
      const variables = [...(a.site !== null ? [{ name: 'site', value: a.site }] : []),
        ...(a.level !== null && a.type !== 'Base' ? [{ name: 'level', value: String(a.level) }] : [])];
      const extra = { timezone: a.timezone, variables, ...(a.externalId !== null ? { externalId: `${a.externalId}${i}` } : {}) };
      const assetId: string = (await createAsset(s(), a.name, typeIds[a.type]!, parentId, extra)).assetId;
      assets.push({ assetId, name: a.name, parentId, timezone: a.timezone, typeId: typeIds[a.type]!, description: '',
        externalId: a.externalId !== null ? `${a.externalId}${i}` : null, site: a.site ?? 'north', level: a.type === 'Base' ? null : a.level });
      if (a.minutes.length) {
        const recs = a.minutes.map((m) => ({ _time: new Date(START + m * 60_000).toISOString(), ...seriesValue(i, m) }));
        const r = await s().api(`${TS}/${assetId}/sig`, { method: 'PUT', body: JSON.stringify(recs) });
        assert.ok(r.status === 200 || r.status === 204, await r.text());
        records.push(...recs.map((x) => ({ assetId, timestamp: x._time, v: x.v, s: x.s })));
      }
    }
    assert.ok(records.length > 20, 'some assets have time series');
    const r = await s().api(`${REG}/contracts`, { method: 'POST', body: JSON.stringify({ name: 'Family', assetTypes: Object.values(typeIds), publish: true }) });
    assert.equal(r.status, 201, JSON.stringify(await json(r)));
  });

  const windowArb = (props: string[]): fc.Arbitrary<Window> => fc.record({
    top: fc.option(fc.nat(40), { nil: undefined }),
    skip: fc.option(fc.nat(60), { nil: undefined }),
    count: fc.boolean(),
    maxPage: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    select: fc.option(fc.oneof(fc.subarray(props, { minLength: 1 }), fc.constant(['*'])).map((x) => [...x]), { nil: undefined }),
  });

  async function runProperty<T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>) {
    let runs = 0;
    await fc.assert(fc.asyncProperty(arb, async (v) => { runs++; await check(v); }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, endOnFailure: true });
    assert.ok(runs >= MIN_RUNS, `only ${runs} queries ran in ${TIME_LIMIT_MS} ms`);
  }

  it('asset sets: random $filter (eq, contains, startswith, endswith joined with and), $orderby, $select, $top, $skip, $count', async () => {
    const fields: AssetField[] = ['assetId', 'name', 'parentId', 'timezone', 'typeId'];
    /** Values that hit: whole values, pieces of them, and random text. */
    const valueOf = (field: AssetField) => fc.oneof(
      fc.constantFrom(...assets.map((a) => a[field])),
      fc.tuple(fc.constantFrom(...assets.map((a) => a[field])), fc.nat(), fc.nat()).map(([v, i, j]) => v.slice(i % v.length, (i % v.length) + 1 + (j % 3))),
      field === 'timezone' ? fc.constantFrom(...TIMEZONES) : text(2));
    const cond: fc.Arbitrary<AssetCond> = fc.constantFrom(...fields).chain((field) => fc.record({
      field: fc.constant(field), op: fc.constantFrom('eq' as const, 'contains' as const, 'startswith' as const, 'endswith' as const),
      value: valueOf(field), flipped: fc.boolean(),
    }));
    const nullParent: fc.Arbitrary<AssetCond> = fc.constant({ field: 'parentId', op: 'eq', value: null, flipped: false });
    const sort = fc.uniqueArray(fc.record({ field: fc.constantFrom('assetId', 'name', 'parentId', 'timezone', 'typeId', 'externalId'),
      dir: fc.constantFrom('asc' as const, 'desc' as const, '' as const) }), { maxLength: 3, selector: (o) => o.field });
    const q = fc.record({
      set: fc.constantFrom('Base', 'Mid', 'Leaf'),
      conds: fc.array(fc.oneof({ weight: 9, arbitrary: cond }, { weight: 1, arbitrary: nullParent }), { maxLength: 3 }),
      parens: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      orderby: sort as fc.Arbitrary<SortItem[]>,
    }).chain((x) => windowArb(['assetId', 'name', 'parentId', 'timezone', 'typeId', 'description', 'externalId', 'site',
      ...(x.set === 'Base' ? [] : ['level'])]).map((w) => ({ ...x, w })));
    await runProperty(q, async ({ set, conds, parens, orderby, w }) => {
      const filter = conds.length ? conjunction(conds.map(assetCondText), parens) : undefined;
      const qs = queryString(filter, orderby, w);
      const family = FAMILY[set]!.map((t) => typeIds[t]!);
      const expected = evalAssets(assets, family, conds, orderby);
      const declared = ['assetId', 'name', 'parentId', 'timezone', 'typeId', 'description', 'externalId', 'site', ...(set === 'Base' ? [] : ['level'])];
      const got = await readAll(`${set}?${qs}`, w.maxPage);
      assert.deepStrictEqual(got.rows, window(expected, w, declared), `${set}?${decodeURIComponent(qs)}`);
      assert.equal(got.count, w.count ? expected.length : undefined, `count of ${set}?${decodeURIComponent(qs)}`);
      if (!w.skip && !w.top && w.select === undefined && w.maxPage === undefined) {
        const n = await s().api(`${service}${set}/$count${filter ? `?$filter=${encodeURIComponent(filter)}` : ''}`);
        assert.equal(await n.text(), String(expected.length));
      }
    });
  });

  it('time series sets: random assetId eq and timestamp gt / le in every literal form, $orderby timestamp, $select, $top, $skip, $count', async () => {
    const withSeries = [...new Set(records.map((r) => r.assetId))];
    const assetCond: fc.Arbitrary<SeriesCond> = fc.record({ kind: fc.constant('asset' as const),
      value: fc.oneof(fc.constantFrom(...withSeries), fc.constantFrom(...assets.map((a) => a.assetId)), fc.constant('0'.repeat(32))), flipped: fc.boolean() });
    const timeCond: fc.Arbitrary<TimeCond> = fc.record({ kind: fc.constant('time' as const), op: fc.constantFrom('gt' as const, 'le' as const),
      t: fc.tuple(fc.integer({ min: -1, max: 42 }), fc.constantFrom(0, 1, -1, 30_000, -30_000)).map(([m, d]) => START + m * 60_000 + d),
      form: fc.constantFrom('offset' as const, 'zulu' as const, 'string' as const, 'stringZ' as const), flipped: fc.boolean() });
    const q = fc.record({
      set: fc.constantFrom('Signal_sig_Base', 'Signal_sig_Mid', 'Signal_sig_Leaf'),
      conds: fc.array(fc.oneof(assetCond, timeCond, timeCond), { maxLength: 4 }),
      parens: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      order: fc.constantFrom('', 'timestamp', 'timestamp asc', 'timestamp desc'),
      w: windowArb(['assetId', 'timestamp', 'v', 's']),
    });
    await runProperty(q, async ({ set, conds, parens, order, w }) => {
      const filter = conds.length ? conjunction(conds.map(seriesCondText), parens) : undefined;
      const orderby: SortItem[] = order ? [{ field: 'timestamp', dir: order.endsWith('desc') ? 'desc' : order.endsWith('asc') ? 'asc' : '' }] : [];
      const qs = queryString(filter, orderby, w);
      const type = set.slice('Signal_sig_'.length);
      const family = new Set(assets.filter((a) => FAMILY[type]!.map((t) => typeIds[t]).includes(a.typeId)).map((a) => a.assetId));
      const expected = evalSeries(records, family, conds, order.endsWith('desc'));
      const got = await readAll(`${set}?${qs}`, w.maxPage);
      assert.deepStrictEqual(got.rows, window(expected, w, ['assetId', 'timestamp', 'v', 's']), `${set}?${decodeURIComponent(qs)}`);
      assert.equal(got.count, w.count ? expected.length : undefined, `count of ${set}?${decodeURIComponent(qs)}`);
    });
  });

  it('random invalid queries are a 400 in the OData error shape that names the option', async () => {
    const valid = fc.constantFrom("name eq 'a'", "startswith(typeId,'local')", "contains(name,'b')");
    const seriesValid = fc.constantFrom("timestamp gt 2024-05-01T00:00:00Z", `timestamp le '2024-05-01T00:20:00'`);
    const poison = fc.oneof(
      fc.tuple(fc.constantFrom('description', 'externalId', 'site', 'level', 'nope'), fc.constantFrom('eq', 'ne'), text(2))
        .map(([p, op, v]): Bad => ['Mid', '$filter', `${p} ${op} '${v.replace(/'/g, "''")}'`]),
      fc.tuple(fc.constantFrom('name', 'assetId', 'typeId'), fc.constantFrom('ne', 'gt', 'ge', 'lt', 'le'), valid)
        .map(([p, op, v]): Bad => ['Base', '$filter', `${v} and ${p} ${op} 'a'`]),
      fc.tuple(valid, valid, fc.constantFrom('or', 'and not')).map(([a, b, op]): Bad => ['Base', '$filter', `${a} ${op} ${b}`]),
      fc.tuple(fc.constantFrom('length(name) eq 1', 'tolower(name) eq \'a\'', 'name eq typeId', "contains(name,1)", "name eq 1", "substringof('a',name)"), valid)
        .map(([p, v]): Bad => ['Leaf', '$filter', `${v} and ${p}`]),
      fc.tuple(fc.constantFrom('timestamp lt', 'timestamp ge', 'timestamp eq', 'timestamp ne', 'v gt', 's eq'), seriesValid)
        .map(([p, v]): Bad => ['Signal_sig_Base', '$filter', `${v} and ${p} 2024-05-01T00:00:00Z`]),
      fc.tuple(fc.constantFrom("timestamp gt 'yesterday'", 'timestamp gt 5', "contains(assetId,'a')", "assetId eq null", "timestamp gt '2024-13-01T00:00:00'"), seriesValid)
        .map(([p, v]): Bad => ['Signal_sig_Mid', '$filter', `${p} and ${v}`]),
      fc.constantFrom<Bad>(['Signal_sig_Base', '$orderby', 'v'], ['Signal_sig_Base', '$orderby', 'timestamp,assetId'],
        ['Signal_sig_Leaf', '$orderby', 'assetId desc'], ['Base', '$orderby', 'description'], ['Base', '$orderby', 'nope asc'],
        ['Base', '$orderby', 'name sideways'], ['Mid', '$select', 'name,nope'], ['Mid', '$select', 'name,'],
        ['Base', '$top', '-1'], ['Base', '$top', 'ten'], ['Base', '$skip', '1.5'], ['Base', '$count', 'yes'], ['Base', '$search', 'a'],
        ['Base', '$apply', 'groupby((name))'], ['Base', '$levels', '2'], ['Base', '$foo', '1'], ['Base', '$format', 'atom'],
        ['Base', '$expand', 'Nope'], ['Base', '$skiptoken', 'e30'], ['Base', '$filter', ''], ['Base', '$filter', "name eq 'unclosed"],
        ['Base', '$filter', "name eq 'a' and"], ['Base', '$filter', "(name eq 'a'"], ['Base', '$filter', "name eq 'a')"]),
    );
    await runProperty(poison, async ([set, option, value]) => {
      const r = await s().api(`${service}${set}?${option}=${encodeURIComponent(value)}&$top=3`);
      const body = await json(r);
      assert.equal(r.status, 400, `${set}?${option}=${value}: ${r.status} ${JSON.stringify(body)}`);
      assert.match(body.error.code, /^ironbridge\.odata\./);
      assert.equal(typeof body.error.message, 'string');
      assert.equal(body.error.target, option, `${set}?${option}=${value}: ${body.error.message}`);
    });
  });
});
