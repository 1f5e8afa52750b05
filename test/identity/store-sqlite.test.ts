/** Runs the IdentityStore contract against the embedded SQLite implementation. */
import { REVOCATION_OTHER_WRITERS_MS, SqliteIdentityStore } from '../../src/identity/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runIdentityStoreContract } from './store.contract.js';

runIdentityStoreContract('sqlite', async (dataDir) => new SqliteIdentityStore({ dataDir, sync: 'normal' }), tempDir,
  REVOCATION_OTHER_WRITERS_MS);
