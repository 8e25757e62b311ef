// The index in MariaDB (127.0.0.1:3306), each test in a database of its own.
import { indexSuite } from './suite.js';
import { mysqlFactory } from './helpers.js';

indexSuite(() => mysqlFactory());
