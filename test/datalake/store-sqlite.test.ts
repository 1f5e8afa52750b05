/** Runs the DatalakeStore contract against the embedded SQLite implementation (datalake.db). */
import { SqliteDatalakeStore } from '../../src/datalake/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runDatalakeStoreContract } from './store.contract.js';

runDatalakeStoreContract('sqlite', async (dataDir) => new SqliteDatalakeStore({ dataDir, sync: 'normal' }), tempDir);
