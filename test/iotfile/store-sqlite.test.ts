/** Runs the IotFileStore contract against the embedded SQLite implementation (iotfile.db). */
import { SqliteIotFileStore } from '../../src/iotfile/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runIotFileStoreContract } from './store.contract.js';

runIotFileStoreContract('sqlite', async (dataDir) => new SqliteIotFileStore({ dataDir, sync: 'normal' }), tempDir);
