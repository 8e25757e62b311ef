// The index in SQLite (the embedded default).
import { indexSuite } from './suite.js';
import { sqliteFactory } from './helpers.js';

indexSuite(sqliteFactory);
