/** Runs the AgentStore contract against the SQLite store on a fresh data directory. */
import { SqliteAgentStore } from '../../src/agents/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runAgentStoreContract } from './store.contract.js';

runAgentStoreContract('sqlite', async () => new SqliteAgentStore({ dataDir: tempDir('ironbridge-agents-'), sync: 'normal' }));
