/**
 * Property tests of the MQTT context's small parsers (MindConnect MQTT): topics round-trip through
 * parseAgentTopic, the ACL never grants a topic or filter under another agent's prefix, and the payload readers
 * never throw (any bytes give content or a PayloadError) and read back what a well-formed message carries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readEvents, readTimeseries, readTokenRequest } from '../../src/mqtt/payload.js';
import { isMqttClientId, OUT, parseAgentTopic, prefixOf, topicOf, withinPrefix, type Channel } from '../../src/mqtt/topics.js';

const tenant = fc.stringMatching(/^[a-z][a-z0-9]{1,19}$/);
const name = fc.stringMatching(/^[A-Za-z0-9_. -]{1,20}$/);
const channel = fc.constantFrom<Channel>('ts', 'e', 't');
const anyText = fc.string({ unit: fc.constantFrom('a', '/', '+', '#', '_', 't', 'c', 'o', 'i', 'x', '0') , maxLength: 40 });

describe('MQTT topics', () => {
  it('parseAgentTopic reads back the tenant, client id and channel of every agent topic', () => {
    fc.assert(fc.property(tenant, name, channel, (t, n, c) => {
      const clientId = `${t}_${n}`;
      assert.deepEqual(parseAgentTopic(topicOf(t, clientId, OUT[c])), { tenant: t, clientId, channel: c });
    }));
  });

  it('parseAgentTopic refuses other topics, and client ids that are not {tenant}_{name}', () => {
    fc.assert(fc.property(anyText, (topic) => {
      const p = parseAgentTopic(topic);
      if (p) assert.equal(topic, topicOf(p.tenant, p.clientId, OUT[p.channel]));
    }));
    assert.equal(parseAgentTopic('tc/acme/other_pump/o/mc_v3/ts'), undefined);
    assert.equal(parseAgentTopic('tc/acme/acme_/o/mc_v3/ts'), undefined);
    assert.equal(parseAgentTopic('tc/acme/acme_p/o/mc_v3/ts/extra'), undefined);
    assert.equal(isMqttClientId('acme_a/b', 'acme'), false);
    assert.equal(isMqttClientId('acme_a+', 'acme'), false);
  });

  it('the ACL grants nothing under another agent\'s prefix, and no filter with a wildcard in the prefix', () => {
    fc.assert(fc.property(tenant, name, name, anyText, (t, a, b, rest) => {
      const own = `${t}_${a}`;
      const other = `${t}_${b}`;
      const topic = `${prefixOf(t, other)}${rest}`;
      if (withinPrefix(topic, t, own)) assert.ok(topic.startsWith(prefixOf(t, own)) && isMqttClientId(own, t));
      assert.equal(withinPrefix(`tc/+/${own}/${rest || 'x'}`, t, own), false);
      assert.equal(withinPrefix('#', t, own), false);
      assert.equal(withinPrefix(prefixOf(t, own), t, own), false);
    }));
  });
});

describe('MQTT payloads', () => {
  it('never throw on any bytes; oversize is refused before parsing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const b = Buffer.from(bytes);
      for (const read of [readTimeseries, readEvents, readTokenRequest]) {
        const r = read(b, 100);
        if (!r.ok) assert.ok(['json', 'schema', 'oversize'].includes(r.error.reason));
        if (b.length > 100) assert.equal(!r.ok && r.error.reason, 'oversize');
      }
    }));
  });

  it('read back the batches of a well-formed time series message', () => {
    const value = fc.record({ dataPointId: fc.stringMatching(/^[A-Z0-9-]{1,8}$/), value: fc.string({ maxLength: 8 }), qualityCode: fc.constantFrom('0', '1', '128') });
    const entry = fc.record({ timestamp: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
      values: fc.array(value, { maxLength: 5 }) });
    fc.assert(fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
      const r = readTimeseries(Buffer.from(JSON.stringify({ timeseries: entries })), 1 << 20);
      assert.ok(r.ok);
      assert.deepEqual(r.value, JSON.parse(JSON.stringify(entries)));
    }));
    const bad = readTimeseries(Buffer.from(JSON.stringify({ timeseries: [{ timestamp: '2026-01-01T00:00:00Z', values: [{ dataPointId: 'A', value: { x: 1 } }] }] })), 1 << 20);
    assert.ok(!bad.ok && /timeseries\[0\]\.values\[0\]\.value/.test(bad.error.error.message));
  });
});
