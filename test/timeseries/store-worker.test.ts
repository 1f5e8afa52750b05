/** Runs the TimeseriesStore contract against the store whose writes run on a writer thread (worker-store.ts). */
import fs from 'node:fs';
import { WorkerTimeseriesStore } from '../../src/timeseries/store/worker-store.js';
import { tempDir } from '../helpers/server.js';
import { runTimeseriesStoreContract } from './store.contract.js';

runTimeseriesStoreContract('sqlite, writes on a writer thread', async (dataDir) => new WorkerTimeseriesStore({ dataDir, sync: 'normal' }), tempDir,
  (dataDir) => fs.rmSync(dataDir, { recursive: true, force: true }));
