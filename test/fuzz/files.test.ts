// The file fuzzer's bounded run (the long one is `npm run fuzz -- files`):
// 6,000 mutated inputs over every file parser: the example weather files,
// APEX weather and UCSC radiometer archives (parsed whole and while
// growing, and served by their nodes from folders of mutated files), file
// names, OCS feed messages, the data-feed spool, the sensors' kernel files,
// the router's configuration files, and the .g3 reference files (read as
// streams, scanned and queried, damaged before or after their scan).
// Fixed seed; FUZZ_SEED picks another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzFiles, summarizeFiles } from './files-fuzzer.js';
import { TARGETS } from './file-targets.js';

const seed = Number(process.env.FUZZ_SEED ?? 20240601);

test(`file fuzzing: 6,000 mutated inputs, clear errors only, no crash, no hang (seed ${seed})`, async (t) => {
  const r = await fuzzFiles({ seed, inputs: 6000 });
  for (const line of summarizeFiles(r).split('\n')) t.diagnostic(line);
  assert.deepEqual(
    r.failures.map((f) => `input ${f.index} (${f.target}): ${f.why}`),
    [],
    'inputs a parser mishandled (replay: npm run fuzz -- files --seed <seed> --case <index>)',
  );
  assert.equal(r.inputs, 6000);
  // every parser got its share
  assert.deepEqual(Object.keys(r.targets).sort(), TARGETS.map((x) => x.name).sort());
});
