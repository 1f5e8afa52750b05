/** Runs the AssetStore contract against the embedded SQLite implementation. */
import { SqliteAssetStore } from '../../src/assets/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runAssetStoreContract } from './store.contract.js';

// The SQLite store checks SQLite's data_version on every read, so other connections' commits show at once.
runAssetStoreContract('sqlite', async (dataDir) => new SqliteAssetStore({ dataDir, sync: 'normal' }), tempDir, 0);
