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
  up: { summary: 'start the whole system (router, hub, data nodes) with embedded defaults', load: () => import('./commands/up.js') },
  router: { summary: 'run the WAMP router (sisock defaults: realm test_realm, wss :8080/ws, ws :8001/ws)', load: () => import('./commands/router.js') },
  tls: { summary: '`tls init`: make a CA and a server certificate for the secure listener', load: () => import('./commands/tls.js') },
  hub: { summary: 'run the hub (the list of data node servers)', load: () => import('./commands/hub.js') },
  node: { summary: 'run a data node server: sisock node <kind> (weather, ...)', load: () => import('./commands/node.js') },
  query: { summary: 'read from the command line: the data nodes, a node\'s fields, or samples of NODE::FIELD over a range', load: () => import('./commands/query.js') },
  status: { summary: 'list the data nodes the hub knows, with field counts and health', load: () => import('./commands/status.js') },
  http: { summary: 'run the HTTP bridge: Grafana data source, REST API, health and metrics', load: () => import('./commands/http.js') },
  'simulate-agent': { summary: 'publish realistic OCS feeds, to see the data-feed node work without OCS', load: () => import('./commands/simulate-agent.js') },
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
