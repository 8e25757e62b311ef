// `npm run bench`: runs the benchmarks under bench/<area>/, each a module
// `bench/<area>/index.ts` exporting `run(args)`. With names on the command
// line (`npm run bench -- router`) only those areas run.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

interface BenchModule {
  /** one line saying what the benchmark measures */
  description?: string;
  run(args: string[]): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const areas = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.js')))
  .map((d) => d.name)
  .sort();

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const lines = await Promise.all(
    areas.map(async (area) => {
      const mod = (await import(pathToFileURL(join(here, area, 'index.js')).href)) as BenchModule;
      return `  ${area.padEnd(10)} ${mod.description ?? ''}`;
    }),
  );
  console.log(`npm run bench [-- AREA... [--quick]]: every area, or the named ones\n\nareas:\n${lines.join('\n')}`);
  process.exit(0);
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !areas.includes(w));
if (unknown.length > 0) {
  console.error(`no benchmark named ${unknown.join(', ')}; there are: ${areas.join(', ')}`);
  process.exit(2);
}
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
for (const area of wanted.length > 0 ? wanted : areas) {
  const mod = (await import(pathToFileURL(join(here, area, 'index.js')).href)) as BenchModule;
  console.log(`\n== ${area}${mod.description ? `: ${mod.description}` : ''}`);
  await mod.run(extra);
}
