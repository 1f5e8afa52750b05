/** Runs the EventStore contract against the embedded SQLite implementation (events.db). */
import { SqliteEventStore } from '../../src/events/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runEventStoreContract } from './store.contract.js';

runEventStoreContract('sqlite', async (dataDir) => new SqliteEventStore({ dataDir, sync: 'normal' }), tempDir);
