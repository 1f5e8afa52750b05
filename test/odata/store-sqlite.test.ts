/** Runs the ContractStore contract against the embedded SQLite implementation (odata.db). */
import { SqliteContractStore } from '../../src/odata/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runContractStoreContract } from './store.contract.js';

runContractStoreContract('sqlite', async (dataDir) => new SqliteContractStore({ dataDir, sync: 'normal' }), tempDir);
