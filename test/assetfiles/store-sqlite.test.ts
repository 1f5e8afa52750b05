/** Runs the AssetFileStore contract against the embedded SQLite implementation (assetfiles.db). */
import { SqliteAssetFileStore } from '../../src/assetfiles/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runAssetFileStoreContract } from './store.contract.js';

runAssetFileStoreContract('sqlite', async (dataDir) => new SqliteAssetFileStore({ dataDir, sync: 'normal' }), tempDir);
