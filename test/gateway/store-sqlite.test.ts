/** Runs the gateway's store contracts (registry, sessions, tenant delete) against the embedded SQLite implementation. */
import { REGISTRY_OTHER_WRITERS_MS, SqliteGatewayStore } from '../../src/gateway/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runGatewayStoreContract, runRegistryStoreContract, runSessionStoreContract } from './store.contract.js';

const open = async (dataDir: string) => new SqliteGatewayStore({ dataDir, sync: 'normal' });
runRegistryStoreContract('sqlite', open, tempDir, REGISTRY_OTHER_WRITERS_MS);
runSessionStoreContract('sqlite', open, tempDir);
runGatewayStoreContract('sqlite', open, tempDir);
