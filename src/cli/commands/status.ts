// `sisock status`: the data nodes the hub knows, like `docker ps`: name,
// field and timeline counts, health and age, description. Run beside
// `sisock up` it finds that system's router and credentials by itself;
// given no URL nor credentials it reads as an anonymous consumer on the
// open port.
// Exit codes: 0 listed, 1 no router or no hub, 2 usage.
import { WampClient } from '../../client/client.js';
import { describeError, WampError } from '../../client/errors.js';
import type { HubStatus } from '../../hub/hub.js';
import type { DataNodeInfo, FieldsReply } from '../../protocol/types.js';
import { dataNodeProcedures, HUB } from '../../protocol/uris.js';
import { connectionOptions, consumerClientOptions, consumerEnv } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { UP_CONFIG_FILE } from './up.js';

export const statusOptions = {
  ...connectionOptions,
  json: { flag: 'json', type: 'boolean', default: false, description: 'print JSON instead of a table' },
  timeout: { flag: 'timeout', type: 'number', default: 5, description: 'seconds to wait for the router and for each answer' },
} satisfies OptionSpecs;

export interface NodeStatusRow {
  name: string;
  description: string;
  fields: number | null;
  timelines: number | null;
  status: string;
  session: number | null;
  error?: string;
}

function age(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} seconds`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 86400 * 2) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86400)} days`;
}

/** Rows for the table, from the hub's answers and each node's get_fields. */
export async function collectStatus(client: WampClient, timeoutMs: number): Promise<NodeStatusRow[]> {
  const nodes = (await client.call(HUB.getDataNode, [], undefined, { timeout: timeoutMs })).args[0] as DataNodeInfo[];
  let status: HubStatus | null = null;
  try {
    status = (await client.call(HUB.status, [], undefined, { timeout: timeoutMs })).args[0] as HubStatus;
  } catch (err) {
    // an original hub has no status procedure: the list alone will do
    if (!(err instanceof WampError && err.uri === 'wamp.error.no_such_procedure')) throw err;
  }
  const now = Date.now() / 1000;
  return Promise.all(
    (Array.isArray(nodes) ? nodes : []).map(async (n): Promise<NodeStatusRow> => {
      const entry = status?.nodes.find((s) => s.name === n.name);
      let state = entry ? `up ${age(now - entry.added_at)}` : 'listed';
      if (entry?.health === 'unresponsive') state = `unresponsive (${entry.failures} failed probe${entry.failures === 1 ? '' : 's'})`;
      const row: NodeStatusRow = { name: n.name, description: n.description, fields: null, timelines: null, status: state, session: entry?.session ?? null };
      try {
        const [fields, timelines] = (await client.call(dataNodeProcedures(n.name).getFields, [1, 0], undefined, { timeout: timeoutMs })).args[0] as FieldsReply;
        row.fields = Object.keys(fields ?? {}).length;
        row.timelines = Object.keys(timelines ?? {}).length;
      } catch (err) {
        row.error = describeError(err);
        row.status = 'not answering';
      }
      return row;
    }),
  );
}

export function formatTable(rows: NodeStatusRow[]): string {
  const header = ['NAME', 'FIELDS', 'TIMELINES', 'STATUS', 'SESSION', 'DESCRIPTION'];
  const cells = rows
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => [r.name, r.fields === null ? '?' : String(r.fields), r.timelines === null ? '?' : String(r.timelines), r.status, r.session === null ? '-' : String(r.session), r.description]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let client: WampClient;
  let o;
  try {
    const parsed = parseCommandLine(statusOptions, argv, consumerEnv(argv, UP_CONFIG_FILE));
    if (parsed.help) {
      console.log(formatHelp('sisock status [options]', statusOptions));
      return 0;
    }
    o = parsed.options;
    client = new WampClient(consumerClientOptions(o, o.timeout));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock status: ${err.message}`);
      return 2;
    }
    throw err;
  }
  try {
    await client.start();
  } catch (err) {
    console.error(`sisock status: cannot join ${client.url} (realm ${client.realm}): ${describeError(err)}`);
    return 1;
  }
  try {
    const rows = await collectStatus(client, o.timeout * 1000);
    console.log(o.json ? JSON.stringify(rows, null, 2) : formatTable(rows));
    return 0;
  } catch (err) {
    const noHub = err instanceof WampError && err.uri === 'wamp.error.no_such_procedure';
    console.error(`sisock status: ${noHub ? 'no hub is running on this router' : describeError(err)}`);
    return 1;
  } finally {
    await client.close();
  }
}
