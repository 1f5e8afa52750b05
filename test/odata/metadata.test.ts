/**
 * $metadata is valid CSDL 4.0: it validates against the OASIS schemas edmx.xsd + edm.xsd (shipped by the OASIS
 * TC's npm package odata-csdl, checked by libxml2 in WebAssembly, xmllint-wasm), converts with the TC's own
 * xml2json, and says what Mendix's requirements ask: keys non-nullable Strings with MaxLength, a Partner on every
 * navigation property, and the Capabilities annotations on every entity set. The download is the same document.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateXML } from 'xmllint-wasm';
import { ROOT, useServer } from '../helpers/server.js';
import { buildFixture, REG, type Fixture } from './helpers.js';

const require = createRequire(import.meta.url);
const { xml2json } = require('odata-csdl') as { xml2json: (xml: string) => Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const schemas = path.join(ROOT, 'node_modules', 'odata-csdl', 'schemas');

async function xsdErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'metadata.xml', contents: xml }],
    schema: [fs.readFileSync(path.join(schemas, 'edmx.xsd'), 'utf8')],
    preload: [{ fileName: 'edm.xsd', contents: fs.readFileSync(path.join(schemas, 'edm.xsd'), 'utf8') }],
  });
  return result.errors.map((e) => e.message);
}

describe('$metadata', () => {
  const s = useServer();
  let f: Fixture;
  let xml: string;

  it('is served as application/xml with OData-Version 4.0 and validates against the OASIS CSDL schemas', async () => {
    f = await buildFixture(s(), 3);
    const r = await s().api(`${f.service}$metadata`, { headers: { accept: 'application/xml' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/xml/);
    assert.equal(r.headers.get('odata-version'), '4.0');
    xml = await r.text();
    assert.deepEqual(await xsdErrors(xml), []);
  });

  it('the validator does catch a broken document (the check can fail)', async () => {
    const broken = xml.replace('<PropertyRef Name="assetId"/>', '<PropertyRef/>').replace('Nullable="false"', 'Nullable="maybe"');
    assert.ok((await xsdErrors(broken)).length > 0);
    const long = xml.replace('EntityType Name="Turbine"', `EntityType Name="${'T'.repeat(129)}"`);
    assert.ok((await xsdErrors(long)).some((e) => /length|128|TSimpleIdentifier/i.test(e)), 'a 129-character name is invalid CSDL');
  });

  it('converts with the OASIS xml2json and has what Mendix requires', () => {
    const csdl = xml2json(xml);
    const ns = csdl['Ironbridge.Turbines'];
    const types = Object.entries(ns).filter(([, v]) => (v as { $Kind?: string }).$Kind === 'EntityType') as [string, Record<string, any>][]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(types.length, 11);
    for (const [name, t] of types) {
      for (const k of t['$Key'] as string[]) {
        assert.equal(t[k].$Nullable, undefined, `${name}.${k} is not nullable`);
        assert.ok(t[k].$Type === undefined || t[k].$Type === 'Edm.Int32', `${name}.${k} is a String (or Int32) key`);
        if (t[k].$Type === undefined) assert.ok(t[k].$MaxLength > 0, `${name}.${k} has a MaxLength`);
      }
      for (const [prop, v] of Object.entries(t)) {
        if ((v as { $Kind?: string }).$Kind === 'NavigationProperty') assert.ok((v as { $Partner?: string }).$Partner, `${name}.${prop} has a Partner`);
      }
    }
    const container = ns['Container'];
    for (const set of Object.keys(container).filter((k) => !k.startsWith('$') && !k.startsWith('@'))) {
      const a = ns.$Annotations[`Ironbridge.Turbines.Container/${set}`];
      assert.equal(a['@Capabilities.CountRestrictions'].Countable, true, set);
      assert.equal(a['@Capabilities.TopSupported'], true);
      assert.equal(a['@Capabilities.SkipSupported'], true);
      assert.equal(a['@Capabilities.InsertRestrictions'].Insertable, false);
      assert.equal(a['@Capabilities.UpdateRestrictions'].Updatable, false);
      assert.equal(a['@Capabilities.DeleteRestrictions'].Deletable, false);
      assert.ok(Array.isArray(a['@Capabilities.FilterRestrictions'].NonFilterableProperties));
      assert.ok(Array.isArray(a['@Capabilities.SortRestrictions'].NonSortableProperties));
    }
    const series = ns.$Annotations['Ironbridge.Turbines.Container/PowerConsumption_PrimaryMotor_Turbine'];
    assert.deepEqual(series['@Capabilities.SortRestrictions'].NonSortableProperties,
      ['assetId', 'current', 'current_qc', 'voltage', 'state'], 'time series sort by timestamp only');
    assert.equal(ns.$Annotations['Ironbridge.Turbines.Container']['@Capabilities.QuerySegmentSupported'], true);
    assert.equal(ns['PowerConsumption_PrimaryMotor_Turbine'].timestamp.$MaxLength, 24, 'the time series key is a String timestamp');
  });

  it('the contract download is the same document', async () => {
    const r = await s().api(`${REG}/contracts/${f.contractId}/csdl`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition')!, /attachment; filename="Turbines-1\.0\.0\.xml"/);
    assert.equal(await r.text(), xml);
  });
});
