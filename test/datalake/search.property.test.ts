/** The metadata search filter: its SQL (over the real index) selects exactly what the plain rule selects. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseFilter, toSql, matches, type Filter } from '../../src/datalake/search.js';
import { SqliteDatalakeStore } from '../../src/datalake/store/sqlite.js';
import type { ObjectRow } from '../../src/datalake/store.js';
import { tempDir } from '../helpers/server.js';

const dir = tempDir('ironbridge-search-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const names = ['sensor.csv', 'Sensor_2.CSV', 'log.txt', 'a%b_c.bin', 'readme', 'x.csv'];
const folders = ['', 'f/', 'f/g/', 'plant/line/'];
const tags = ['a', 'b', 'c', 'line1'];
const T0 = Date.parse('2026-01-01T00:00:00Z');

const condition = fc.oneof(
  fc.record({ field: fc.constantFrom('name', 'location'), op: fc.constantFrom('eq', 'contains', 'startswith'),
    value: fc.constantFrom('sensor', 'Sensor', 'csv', '%', '_', 'f/', 'plant', 'log.txt', 'readme', '') }),
  fc.record({ field: fc.constant('size'), op: fc.constantFrom('eq', 'gt', 'lt'), value: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ field: fc.constantFrom('lastModified', 'created'), op: fc.constantFrom('before', 'after'),
    value: fc.integer({ min: 0, max: 20 }).map((h) => new Date(T0 + h * 3600_000).toISOString()) }),
  fc.record({ field: fc.constant('tags'), op: fc.constant('in'), value: fc.subarray(tags, { minLength: 1 }) }),
);

describe('metadata search filter', () => {
  it('SQL and the plain rule agree on random objects and filters', async () => {
    const store = new SqliteDatalakeStore({ dataDir: dir, sync: 'normal' });
    const rows: ObjectRow[] = [];
    let i = 0;
    for (const folder of folders) {
      for (const name of names) {
        const path = `${folder}${name}`;
        await store.putObject({ tenant: 't', sub: '', path, size: (i * 7) % 50, etag: 'e', md5: null, sha256: null,
          lastModified: T0 + ((i * 5) % 20) * 3600_000 }, { type: 'MODIFY', path, at: 0 });
        rows.push((await store.setTags({ tenant: 't', sub: '' }, path, tags.filter((_, k) => (i >> k) & 1)))!);
        i++;
      }
    }
    await fc.assert(fc.asyncProperty(fc.constantFrom('none', 'and', 'or'), fc.array(condition, { minLength: 2, maxLength: 4 }),
      async (combine, conds) => {
        const chosen = combine === 'none' ? conds.slice(0, 1) : conds;
        const body: Record<string, unknown> = {};
        for (const c of chosen) body[c.field] = { [c.op]: c.value };
        if (combine !== 'none' && Object.keys(body).length < 2) return;
        const filter: Filter = parseFilter(JSON.stringify({ [combine]: body }));
        const { rows: got } = await store.search('t', [''], toSql(filter), '', 0, 1000);
        const want = rows.filter((r) => matches(filter, r)).map((r) => r.path).sort();
        assert.deepEqual(got.map((r) => r.path).sort(), want);
      }), { numRuns: 200 });
    store.close();
  });

  it('refuses malformed filters naming the rule', () => {
    for (const [f, rule] of [
      ['{', /not JSON/], ['{"and":{"name":{"eq":"a"}}}', /two or more/], ['{"none":{"a":{"eq":1},"b":{"eq":2}}}', /exactly one condition/],
      ['{"none":{"owner":{"eq":"x"}}}', /not a searchable field/], ['{"none":{"size":{"gt":"5"}}}', /must be a number/],
      ['{"none":{"tags":{"eq":"a"}}}', /tags takes in/], ['{"none":{"lastModified":{"after":"yesterday"}}}', /ISO-8601/],
      ['{"xor":{}}', /exactly one of the keys/],
    ] as const) {
      assert.throws(() => parseFilter(f), (e: Error) => rule.test(e.message), f);
    }
    assert.doesNotThrow(() => parseFilter('{"none":{"created":{"between":"[2024-01-01T00:00:00Z, 2024-02-01T00:00:00Z]"}}}'));
  });
});
