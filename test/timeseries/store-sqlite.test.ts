/** Runs the TimeseriesStore contract against the embedded SQLite implementation. */
import fs from 'node:fs';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runTimeseriesStoreContract } from './store.contract.js';

runTimeseriesStoreContract('sqlite', async (dataDir) => new SqliteTimeseriesStore({ dataDir, sync: 'normal' }), tempDir,
  (dataDir) => fs.rmSync(dataDir, { recursive: true, force: true }));
