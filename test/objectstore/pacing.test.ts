/**
 * Collection pacing (src/objectstore/pacing.ts): reaching the pace runs a minor collection at once, below it none
 * runs, and at 0 none ever does; seen through node's own GC performance entries.
 */
import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { configurePacing, paced } from '../../src/objectstore/pacing.js';

const MB = 1024 * 1024;

/** The minor collections node reports while `run` runs (entries arrive asynchronously, so it waits a turn). */
async function minorCollections(run: () => void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => { seen.push(...list.getEntries()); });
  observer.observe({ entryTypes: ['gc'] });
  run();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return seen.filter((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR).length;
}

describe('collection pacing of streamed uploads', () => {
  after(() => configurePacing(0));

  it('runs one minor collection each time the pace is reached, none before', async () => {
    configurePacing(4 * MB);
    assert.equal(await minorCollections(() => { paced(MB); paced(2 * MB); }), 0);
    assert.equal(await minorCollections(() => { paced(MB); }), 1);
    assert.equal(await minorCollections(() => { for (let i = 0; i < 12; i++) paced(MB); }), 3);
  });

  it('is off at 0', async () => {
    configurePacing(0);
    assert.equal(await minorCollections(() => { for (let i = 0; i < 64; i++) paced(MB); }), 0);
  });
});
