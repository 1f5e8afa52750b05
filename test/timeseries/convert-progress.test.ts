/**
 * The v4 conversion's progress (src/timeseries/store/convert.ts) reaches the log while it runs: it blocks the event
 * loop, and pino's default asynchronous destination would otherwise write every line only at the end.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import { openDatabase } from '../../src/core/db.js';
import { createLogger } from '../../src/core/log.js';
import { Chunks } from '../../src/timeseries/store/chunks.js';
import { convertRecords } from '../../src/timeseries/store/convert.js';
import { TIMESERIES_MIGRATIONS } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

describe('v4 conversion progress', () => {
  it('each progress line is in the log file before the next one is logged', async () => {
    const dir = tempDir();
    try {
      const v3 = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS.slice(0, 3), sync: 'normal' });
      const addRecord = v3.prepare('INSERT INTO records (series, t, data) VALUES (?, ?, ?)');
      for (const id of [1, 2, 3]) {
        v3.prepare("INSERT INTO series (id, tenant, asset_id, aspect, zone) VALUES (?, 't', ?, 'x', 'UTC')").run(id, `a${id}`);
        for (let j = 1; j <= 10; j++) addRecord.run(id, j * 1000, `{"_time":"${new Date(j * 1000).toISOString()}","v":${j}}`);
      }
      v3.close();
      const file = path.join(dir, 'log.jsonl');
      const destination = pino.destination({ dest: file, sync: false });
      await once(destination, 'ready');
      const logger = createLogger('info', destination);
      // What the file holds as each line is logged: every earlier line, while the conversion still runs.
      const linesBefore: number[] = [];
      const log = Object.assign(Object.create(logger) as typeof logger, {
        info: (fields: object, message: string) => {
          linesBefore.push(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length);
          logger.info(fields, message);
        },
      });
      const db = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS, sync: 'normal' });
      assert.equal(convertRecords(db, new Chunks(db), { log }), 3);
      db.close();
      // A line logged while the destination is idle goes out as an asynchronous write on libuv's thread pool, which
      // runs beside the blocked event loop but may not have run yet on a loaded machine (a flake seen at load 18);
      // every line after it waits in the destination's buffer until flushLogSync writes it. So each line finds every
      // earlier line in the file but at most that one.
      assert.equal(linesBefore.length, 5);
      linesBefore.forEach((n, k) => assert.ok(n >= k - 1 && n <= k, `line ${k} found ${n} earlier lines in the file: ${linesBefore.join(',')}`));
      destination.flushSync();
      const messages = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.deepEqual(messages.sort(), ['time series: converting records to compressed chunks', ...Array(3).fill('time series: series converted to chunks'),
        'time series: conversion to chunks done'].sort());
      destination.end();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
