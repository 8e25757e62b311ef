// `sisock query`: the command-line consumer. It talks WAMP to the hub and the
// data nodes directly, the way any consumer does:
//   sisock query                      the data nodes the hub lists
//   sisock query NODE                 a node's fields, with units and timelines
//   sisock query NODE::FIELD ...      samples of those fields over a range
// Exit codes: 0 done, 1 no router / no hub / a node failed, 2 usage.
import { WampClient } from '../../client/client.js';
import { describeError, WampError } from '../../client/errors.js';
import { PAYLOAD_SIZE_EXCEEDED } from '../../client/size-limit.js';
import { checkDataReply, samplesOf, type Samples } from '../../protocol/data-reply.js';
import { BadRequest, parseRestTime } from '../../http/time.js';
import type { DataNodeInfo, FieldInfo, FieldsReply, SampleValue, TimelineInfo } from '../../protocol/types.js';
import { dataNodeProcedures, ERRORS, HUB } from '../../protocol/uris.js';
import { connectionOptions, consumerClientOptions, consumerEnv } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { UP_CONFIG_FILE } from './up.js';

export const queryOptions = {
  ...connectionOptions,
  from: { flag: 'from', type: 'string', default: 'now-1h', description: 'start: ISO 8601, now-<n><unit> (units ms s m h d w M y), or UNIX seconds (0 or less: seconds before now)' },
  to: { flag: 'to', type: 'string', default: 'now', description: 'end, in the same forms as --from' },
  stride: { flag: 'stride', type: 'number', description: 'min_stride: seconds between returned samples (downsampled by the node, peaks kept)' },
  points: { flag: 'points', type: 'number', description: 'about this many points per field (sets the stride from the range)' },
  format: { flag: 'format', type: 'string', default: 'table', description: 'table, csv or json' },
  timeout: { flag: 'timeout', type: 'number', default: 10, description: 'seconds to wait for the router and for each answer' },
} satisfies OptionSpecs;

const USAGE = 'sisock query [NODE | NODE::FIELD ...] [options]';

/** Splits `node::field` names into fields per node, keeping the order they were given in. */
export function groupByNode(names: string[]): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const name of names) {
    const at = name.indexOf('::');
    if (at <= 0 || at + 2 >= name.length) throw new UsageError(`'${name}' is not NODE::FIELD`);
    const node = name.slice(0, at);
    const list = byNode.get(node) ?? [];
    list.push(name.slice(at + 2));
    byNode.set(node, list);
  }
  return byNode;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function valueText(v: SampleValue | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' && !Number.isFinite(v) ? '' : String(v);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

interface Series {
  id: string;
  samples: Samples;
  error?: string;
}

export function formatSeries(series: Series[], format: string): string {
  if (format === 'json') {
    return JSON.stringify(
      {
        series: series.map((s) => ({
          id: s.id,
          t: Array.from(s.samples.t),
          v: Array.from(s.samples.v, (v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
          finalized_until: s.samples.finalizedUntil,
          ...(s.error ? { error: s.error } : {}),
        })),
      },
      null,
      2,
    );
  }
  const rows: string[][] = [];
  for (const s of series) {
    for (let i = 0; i < s.samples.t.length; i++) {
      const t = s.samples.t[i]!;
      rows.push([new Date(t * 1000).toISOString(), String(t), s.id, valueText(s.samples.v[i])]);
    }
  }
  if (format === 'csv') return ['time,unix_time,field,value', ...rows.map((r) => r.map(csvCell).join(','))].join('\n');
  return table(['TIME', 'UNIX_TIME', 'FIELD', 'VALUE'], rows);
}

async function listNodes(client: WampClient, timeoutMs: number, format: string): Promise<string> {
  const nodes = ((await client.call(HUB.getDataNode, [], undefined, { timeout: timeoutMs })).args[0] ?? []) as DataNodeInfo[];
  const sorted = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  if (format === 'json') return JSON.stringify(sorted, null, 2);
  if (format === 'csv') return ['name,description', ...sorted.map((n) => `${csvCell(n.name)},${csvCell(n.description)}`)].join('\n');
  return table(['NODE', 'DESCRIPTION'], sorted.map((n) => [n.name, n.description]));
}

async function getFields(client: WampClient, node: string, timeoutMs: number): Promise<FieldsReply> {
  return (await client.call(dataNodeProcedures(node).getFields, [1, 0], undefined, { timeout: timeoutMs })).args[0] as FieldsReply;
}

async function listFields(client: WampClient, node: string, timeoutMs: number, format: string): Promise<string> {
  const [fields, timelines] = await getFields(client, node, timeoutMs);
  const names = Object.keys(fields ?? {}).sort();
  if (format === 'json') return JSON.stringify({ fields, timelines }, null, 2);
  const interval = (f: FieldInfo): string => {
    const tl: TimelineInfo | undefined = timelines?.[f.timeline];
    return tl?.interval == null ? '' : `${tl.interval} s`;
  };
  const rows = names.map((n) => {
    const f = fields[n]!;
    return [`${node}::${n}`, f.type, f.units ?? '', f.timeline, interval(f), f.description ?? ''];
  });
  const header = ['FIELD', 'TYPE', 'UNITS', 'TIMELINE', 'INTERVAL', 'DESCRIPTION'];
  if (format === 'csv') return [header.join(',').toLowerCase(), ...rows.map((r) => r.map(csvCell).join(','))].join('\n');
  return table(header, rows);
}

async function getSeries(client: WampClient, names: string[], start: number, end: number, stride: number | null, timeoutMs: number): Promise<Series[]> {
  const byNode = groupByNode(names);
  const perNode = await Promise.all(
    [...byNode].map(async ([node, fields]): Promise<Map<string, Series>> => {
      const out = new Map<string, Series>();
      try {
        // the field -> timeline map, for nodes that share timelines between fields
        const [info] = await getFields(client, node, timeoutMs);
        const args: unknown[] = [fields, start, end];
        if (stride !== null) args.push(stride);
        const reply = checkDataReply((await client.call(dataNodeProcedures(node).getData, args, undefined, { timeout: timeoutMs })).args[0]);
        for (const f of fields) {
          const known = info && Object.prototype.hasOwnProperty.call(info, f);
          out.set(f, { id: `${node}::${f}`, samples: samplesOf(reply, f, info?.[f]?.timeline), ...(known ? {} : { error: `node '${node}' has no field '${f}'` }) });
        }
      } catch (err) {
        let why = describeError(err);
        if (err instanceof WampError && err.uri === 'wamp.error.no_such_procedure') why = `no data node '${node}'`;
        else if (err instanceof WampError && (err.uri === PAYLOAD_SIZE_EXCEEDED || err.uri === ERRORS.tooMuchData)) {
          why = `${err.message}: ask for --points or --stride, or a shorter range (the HTTP bridge's /api/v1/data fetches such ranges in parts)`;
        }
        for (const f of fields) out.set(f, { id: `${node}::${f}`, samples: { t: [], v: [], finalizedUntil: null }, error: why });
      }
      return out;
    }),
  );
  // back in the order the user named them
  const found = new Map<string, Series>();
  for (const m of perNode) for (const s of m.values()) found.set(s.id, s);
  return names.map((n) => found.get(n)!);
}

export async function run(argv: string[]): Promise<number> {
  let client: WampClient;
  let o;
  let positionals: string[];
  let window: { start: number; end: number; stride: number | null } | null = null;
  try {
    const parsed = parseCommandLine(queryOptions, argv, consumerEnv(argv, UP_CONFIG_FILE));
    if (parsed.help) {
      console.log(formatHelp(USAGE, queryOptions));
      return 0;
    }
    o = parsed.options;
    positionals = parsed.positionals;
    if (!['table', 'csv', 'json'].includes(o.format)) throw new UsageError(`--format must be table, csv or json, got '${o.format}'`);
    const wantsData = positionals.some((p) => p.includes('::'));
    if (wantsData) {
      if (!positionals.every((p) => p.includes('::'))) throw new UsageError('give either one NODE, or NODE::FIELD names');
      groupByNode(positionals);
      const now = Date.now();
      const start = parseRestTime(o.from, '--from', now) / 1000;
      const end = parseRestTime(o.to, '--to', now) / 1000;
      if (!(start < end)) throw new UsageError(`--from (${new Date(start * 1000).toISOString()}) must be before --to (${new Date(end * 1000).toISOString()})`);
      if (o.stride !== undefined && !(o.stride > 0)) throw new UsageError('--stride must be a positive number of seconds');
      if (o.points !== undefined && !(o.points >= 1)) throw new UsageError('--points must be at least 1');
      const stride = o.stride ?? (o.points !== undefined ? (end - start) / o.points : null);
      window = { start, end, stride };
    } else if (positionals.length > 1) {
      throw new UsageError('give one NODE to list its fields');
    }
    client = new WampClient(consumerClientOptions(o, o.timeout));
  } catch (err) {
    if (err instanceof UsageError || err instanceof BadRequest) {
      console.error(`sisock query: ${err.message}\nusage: ${USAGE} (--help for options)`);
      return 2;
    }
    throw err;
  }
  try {
    await client.start();
  } catch (err) {
    console.error(`sisock query: cannot join ${client.url} (realm ${client.realm}): ${describeError(err)}`);
    return 1;
  }
  const timeoutMs = o.timeout * 1000;
  try {
    if (window) {
      const series = await getSeries(client, positionals, window.start, window.end, window.stride, timeoutMs);
      console.log(formatSeries(series, o.format));
      const failed = series.filter((s) => s.error);
      for (const s of failed) console.error(`sisock query: ${s.id}: ${s.error}`);
      return failed.length > 0 ? 1 : 0;
    }
    if (positionals.length === 1) {
      console.log(await listFields(client, positionals[0]!, timeoutMs, o.format));
      return 0;
    }
    console.log(await listNodes(client, timeoutMs, o.format));
    return 0;
  } catch (err) {
    let why = describeError(err);
    if (err instanceof WampError && err.uri === 'wamp.error.no_such_procedure') {
      why = positionals.length === 1 ? `no data node '${positionals[0]}'` : 'no hub is running on this router';
    }
    console.error(`sisock query: ${why}`);
    return 1;
  } finally {
    await client.close();
  }
}
