// The `sisock` command: one table from sub-command to the module that runs
// it. Modules are imported on demand so `sisock router` never loads the g3
// reader or the web bridge.
import { readFileSync } from 'node:fs';

export interface Command {
  /** One line for `sisock help`. */
  summary: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

export const commands: Record<string, Command> = {
  g3: { summary: 'look at .g3 files: `g3 dump FILE`, `g3 fields FILE...`', load: () => import('./commands/g3.js') },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length), 7);
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: sisock <command> [options]',
    '',
    'commands:',
    ...lines,
    `  ${'help'.padEnd(width)}  show this help; \`sisock <command> --help\` for a command's options`,
    `  ${'version'.padEnd(width)}  print the version`,
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === 'version' || name === '--version') {
    console.log(version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`sisock: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}
