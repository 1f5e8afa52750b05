/** Runs the IdentityStore and OAuthStore contracts against the embedded SQLite implementation (both in identity.db). */
import { REVOCATION_OTHER_WRITERS_MS, SqliteIdentityStore } from '../../src/identity/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runOAuthStoreContract } from './oauth-store.contract.js';
import { runIdentityStoreContract } from './store.contract.js';

runIdentityStoreContract('sqlite', async (dataDir) => new SqliteIdentityStore({ dataDir, sync: 'normal' }), tempDir,
  REVOCATION_OTHER_WRITERS_MS);
runOAuthStoreContract('sqlite', async (dataDir) => {
  const store = new SqliteIdentityStore({ dataDir, sync: 'normal' });
  return Object.assign(store.oauth, { close: () => store.close() });
}, tempDir);
