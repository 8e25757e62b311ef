// `sisock node <kind>`: runs one data node server until SIGINT/SIGTERM.
// Exit codes: 0 stopped, 1 failed, 2 usage, 3 the node's name is taken by
// another live session.
//
// Each kind is one line of `nodeKinds`: a module exporting its own options
// and a function that builds its DataNodeSource. The connection and the
// common node options (MAX_POINTS, downsampling, name-conflict patience) are
// added here, so every kind takes them the same way.
import type { Logger } from '../../log/logger.js';
import { createLogger } from '../../log/logger.js';
import { describeError } from '../../client/errors.js';
import { DataNodeServer, NameTakenError } from '../../datanode/server.js';
import type { DataNodeSource } from '../../datanode/source.js';
import { clientOptionsFrom, connectionOptions } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs, type Resolved } from '../options.js';
import { untilStopped } from '../signals.js';

/** What a node kind's module exports. */
export interface NodeKindModule<S extends OptionSpecs = OptionSpecs> {
  /** options of this kind, beside the connection and common node options */
  options: S;
  /** builds the source from the resolved settings; throw UsageError for bad settings */
  createSource(settings: Resolved<S>, logger: Logger): Promise<DataNodeSource>;
}

export interface NodeKind {
  summary: string;
  load: () => Promise<NodeKindModule>;
}

/** The data node kinds `sisock node` runs: one line each. */
export const nodeKinds: Record<string, NodeKind> = {
  weather: { summary: 'example APEX weather archive (node apex_archive)', load: () => import('../../servers/weather/cli.js') },
  sensors: { summary: "this machine's sensors, CPU load and memory (node sensors)", load: () => import('../../servers/sensors/cli.js') },
  'apex-weather': { summary: 'APEX weather archive of <prefix>_<field>_<start>_<end>.dat files (node apex_weather)', load: () => import('../../servers/apex-weather/cli.js') },
  'ucsc-radiometer': { summary: 'PWV from the UCSC radiometer (node ucsc_radiometer)', load: () => import('../../servers/ucsc-radiometer/cli.js') },
  'data-feed': { summary: 'live OCS feeds, last BUFFER_TIME seconds (node NAME)', load: () => import('../../servers/data-feed/cli.js') },
  'g3-reader': { summary: 'the .g3 housekeeping archive through the g3 scanner\'s index (node g3_reader)', load: () => import('../../servers/g3-reader/cli.js') },
};

export const nodeOptions = {
  ...connectionOptions,
  maxPoints: { flag: 'max-points', type: 'number', env: 'MAX_POINTS', key: 'node.max_points', default: 0, description: 'cap on points per timeline in a get_data reply; 0: no cap' },
  downsample: { flag: 'downsample', type: 'string', env: 'SISOCK_DOWNSAMPLE', key: 'node.downsample', default: 'm4', description: 'peak-keeping downsampling for min_stride and max points: m4 or lttb' },
  claimTimeout: { flag: 'claim-timeout', type: 'number', env: 'SISOCK_CLAIM_TIMEOUT', key: 'node.claim_timeout', default: 10, description: 'seconds to keep retrying while the node name is taken before exiting with code 3' },
} satisfies OptionSpecs;

function usage(): string {
  const width = Math.max(...Object.keys(nodeKinds).map((k) => k.length));
  return [
    'usage: sisock node <kind> [options]   (sisock node <kind> --help for its options)',
    '',
    'kinds:',
    ...Object.entries(nodeKinds).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [kindName, ...rest] = argv;
  if (kindName === undefined || kindName === '--help' || kindName === '-h' || kindName === 'help') {
    console.log(usage());
    return kindName === undefined ? 2 : 0;
  }
  const kind = nodeKinds[kindName];
  if (!kind) {
    console.error(`sisock node: unknown kind '${kindName}'\n\n${usage()}`);
    return 2;
  }
  const mod = await kind.load();
  const specs = { ...nodeOptions, ...mod.options };
  let server: DataNodeServer;
  const log = createLogger(`node.${kindName}`);
  try {
    const parsed = parseCommandLine(specs, rest);
    if (parsed.help) {
      console.log(formatHelp(`sisock node ${kindName} [options]`, specs));
      return 0;
    }
    const o = parsed.options as Resolved<typeof nodeOptions>;
    if (o.downsample !== 'm4' && o.downsample !== 'lttb') throw new UsageError(`--downsample must be m4 or lttb, got '${o.downsample}'`);
    if (o.maxPoints < 0 || o.claimTimeout < 0) throw new UsageError('--max-points and --claim-timeout must be >= 0');
    const connection = clientOptionsFrom(o, log);
    const source = await mod.createSource(parsed.options, log);
    server = new DataNodeServer({
      source,
      connection,
      maxPoints: o.maxPoints > 0 ? o.maxPoints : null,
      downsample: o.downsample,
      claimTimeout: o.claimTimeout,
      logger: log,
    });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock node ${kindName}: ${err.message}`);
      return 2;
    }
    console.error(`sisock node ${kindName}: ${describeError(err)}`);
    return 1;
  }
  let fatal: unknown;
  server.on('fatal', (err: unknown) => (fatal = err));
  // Signals (and the death of a supervising `sisock up`) count from now: the router may be away for long.
  const stopped = untilStopped(server);
  const started = server.start().then(
    () => 'started' as const,
    (err: unknown) => {
      fatal ??= err;
      return 'fatal' as const;
    },
  );
  let how = await Promise.race([started, stopped]);
  if (how === 'started') {
    console.log(`sisock node ${kindName}: serving data node '${server.name}' on ${server.client.url} (realm ${server.client.realm})`);
    how = await stopped;
  }
  await server.close();
  if (how === 'fatal') {
    console.error(`sisock node ${kindName}: ${fatal instanceof Error ? fatal.message : describeError(fatal)}`);
    return fatal instanceof NameTakenError ? 3 : 1;
  }
  return 0;
}
