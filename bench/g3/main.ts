// Runs the g3 benchmark alone: `node dist/bench/g3/main.js`.
import { run } from './decode.js';

await run();
