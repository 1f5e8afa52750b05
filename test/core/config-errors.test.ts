/** Configuration resolution and the error catalogue's wire shapes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import os from 'node:os';
import { ConfigError, loadConfig, SETTINGS, settingsMarkdown, workerCount } from '../../src/core/config.js';
import { catalogue, Generic, renderError, toXml } from '../../src/core/errors.js';
import { errorShapeFor, negotiate } from '../../src/core/http.js';
import '../../src/identity/errors.js';

describe('configuration', () => {
  it('flags beat environment beat defaults', () => {
    assert.equal(loadConfig({}, {}).port, 8080);
    assert.equal(loadConfig({}, { IRONBRIDGE_PORT: '9000' }).port, 9000);
    assert.equal(loadConfig({ port: '9001' }, { IRONBRIDGE_PORT: '9000' }).port, 9001);
  });
  it('names the setting and the rule on bad values', () => {
    assert.throws(() => loadConfig({}, { IRONBRIDGE_PORT: '70000' }), (e: Error) =>
      e instanceof ConfigError && /IRONBRIDGE_PORT/.test(e.message) && /0\.\.65535/.test(e.message));
    assert.throws(() => loadConfig({ tenant: '1abc' }, {}), /--tenant/);
    assert.throws(() => loadConfig({}, { IRONBRIDGE_PUBLIC_URL: 'ftp://x' }), /IRONBRIDGE_PUBLIC_URL/);
  });
  it('workers: one by default, a count 1..64, or auto for one per core', () => {
    assert.equal(workerCount(loadConfig({}, {}).workers), 1);
    assert.equal(workerCount(loadConfig({}, { IRONBRIDGE_WORKERS: '3' }).workers), 3);
    assert.equal(workerCount(loadConfig({ workers: 'auto' }, {}).workers), Math.min(64, os.availableParallelism()));
    assert.throws(() => loadConfig({}, { IRONBRIDGE_WORKERS: '1.5' }), /IRONBRIDGE_WORKERS: "1\.5" is neither a whole number 1\.\.64 nor auto/);
    assert.throws(() => loadConfig({ workers: '0' }, {}), /--workers: 0 is outside 1\.\.64/);
  });
  it('every setting has a flag, an IRONBRIDGE_ variable and a description in the README table', () => {
    const md = settingsMarkdown();
    for (const s of SETTINGS) {
      assert.match(s.env, /^IRONBRIDGE_[A-Z_]+$/);
      assert.ok(md.includes(s.env) && md.includes(s.flag) && s.description.length > 10);
    }
  });
});

describe('error catalogue', () => {
  it('codes are unique and statuses are HTTP error statuses', () => {
    for (const [code, def] of catalogue()) {
      assert.equal(def.code, code);
      assert.ok(def.status >= 400 && def.status < 600, code);
    }
  });
  it('renders the three Insights Hub shapes from one error', () => {
    const err = Generic.invalidParameter({ name: 'size', rule: 'must be at most 200' });
    assert.deepEqual(renderError(err, 'errors', 'ref1').body, { errors: [{
      code: 'mdsp.core.generic.invalidParameter', logref: 'ref1', message: 'Parameter size is invalid: must be at most 200.',
      messageParameters: [{ name: 'name', value: 'size' }, { name: 'rule', value: 'must be at most 200' }] }] });
    assert.deepEqual(renderError(err, 'legacy', 'ref1').body, { id: 'ref1', message: 'Parameter size is invalid: must be at most 200.' });
    assert.deepEqual(renderError(err, 'uaa', 'ref1').body, { error: 'invalid_request', error_description: 'Parameter size is invalid: must be at most 200.' });
  });
  it('XML rendering escapes every value', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const xml = toXml({ id: s, message: s });
      assert.ok(!/<[^?/a-z]/.test(xml.replace(/<\/?(error|id|message)>/g, '')));
    }));
  });
  it('shapes follow the service: UAA for OAuth, legacy for time series, errors elsewhere', () => {
    assert.equal(errorShapeFor('/oauth/token'), 'uaa');
    assert.equal(errorShapeFor('/api/iottimeseries/v3/timeseries/x/y'), 'legacy');
    assert.equal(errorShapeFor('/api/iottsaggregates/v4/aggregates'), 'errors');
    assert.equal(errorShapeFor('/api/assetmanagement/v3/assets'), 'errors');
  });
  it('negotiates JSON or XML by Accept and q-values', () => {
    assert.equal(negotiate(undefined), 'json');
    assert.equal(negotiate('*/*'), 'json');
    assert.equal(negotiate('application/xml'), 'xml');
    assert.equal(negotiate('application/xml;q=0.5, application/json;q=0.9'), 'json');
    assert.equal(negotiate('application/json;q=0.1, text/xml'), 'xml');
    assert.equal(negotiate('image/png'), null);
  });
});
